//! `portall bench-import`: how long the importers take on large files. Generates a Compose file of N
//! services (short, long and range syntax) and a Caddyfile of N sites (two upstreams each), then
//! times parsing alone, a dry run (parse, check, compare with the stored entries), the import into a
//! fresh database (one transaction), a second dry run (everything already present), and the JSON
//! export with its import back as a dry run.

use std::time::{Duration, Instant};

fn compose(n: usize) -> String {
    let mut out = String::from("services:\n");
    for i in 0..n {
        let base = 10_000 + i * 4;
        out.push_str(&format!(
            "    app{i}:\n        image: example/app:{i}\n        ports:\n            - \"{base}:80\"\n            - \"127.0.0.1:{}-{}:9000-9001/udp\"\n            - target: 443\n              published: \"${{PORT_{i}:-{}}}\"\n",
            base + 1,
            base + 2,
            base + 3
        ));
    }
    out
}

fn caddyfile(n: usize) -> String {
    let mut out =
        String::from("{\n\temail admin@example.com\n}\n\n(headers) {\n\theader -Server\n}\n\n");
    for i in 0..n {
        out.push_str(&format!(
            "app{i}.example.com {{\n\timport headers\n\thandle /api/* {{\n\t\treverse_proxy 10.0.{}.{}:{} 10.0.{}.{}:{}\n\t}}\n}}\n\n",
            i / 250,
            i % 250 + 1,
            8000 + i,
            i / 250,
            i % 250 + 1,
            30_000 + i
        ));
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn timed<F, Fut, T>(runs: usize, mut f: F) -> Result<(Duration, T), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f().await?);
        times.push(start.elapsed());
    }
    Ok((median(times), last.expect("at least one run")))
}

pub async fn run(counts: &[usize]) -> Result<(), String> {
    use app::transfer::{service, ImportFormat};
    println!("file | entries | size | parse (median of 5) | dry run (median of 5) | import, one transaction | dry run again (all skipped) | export JSON | export imported back (dry run)");
    for &n in counts {
        for (format, content) in [
            (ImportFormat::Compose, compose(n)),
            (ImportFormat::Caddyfile, caddyfile(n)),
        ] {
            let dir = std::env::temp_dir().join(format!(
                "portall-bench-import-{}-{}-{n}",
                std::process::id(),
                format.as_str()
            ));
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let pool = app::db::open(&dir.join("bench.db"))
                .await
                .map_err(|e| e.to_string())?;
            let body = |dry: bool, format: ImportFormat, content: &str| serde_json::json!({"format": format.as_str(), "content": content, "host": "10.9.9.9", "dry_run": dry});
            let (parse, parsed) = timed(5, || async {
                service::parse_content(format, &content).map_err(|e| e.to_string())
            })
            .await?;
            let dry = body(true, format, &content);
            let (dry_time, report) = timed(5, || async {
                service::import(&pool, &dry)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
            let real = body(false, format, &content);
            let (import_time, _) = timed(1, || async {
                service::import(&pool, &real)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
            let (again, skipped) = timed(1, || async {
                service::import(&pool, &dry)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
            let (export_time, doc) = timed(1, || async {
                service::export_json(&pool, &[])
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
            let back = body(true, ImportFormat::Json, &doc.to_string());
            let (back_time, _) = timed(1, || async {
                service::import(&pool, &back)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
            println!(
                "{} ({n}) | {} | {} KiB | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms ({} skipped) | {:.1} ms | {:.1} ms",
                format.as_str(),
                parsed.entries.len().min(report.added.len()),
                content.len() / 1024,
                crate::bench::ms(parse),
                crate::bench::ms(dry_time),
                crate::bench::ms(import_time),
                crate::bench::ms(again),
                skipped.skipped.len(),
                crate::bench::ms(export_time),
                crate::bench::ms(back_time),
            );
            pool.close().await;
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(())
}
