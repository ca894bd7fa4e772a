//! Splits the browser's wasm at Leptos' split points (`#[lazy_route]`, `#[lazy]`) so a page loads the
//! shared runtime plus its own code, not every page's.
//!
//! `portall-wasm-split <input.wasm> <pkg dir> <output name>` writes into `<pkg dir>`:
//! - `<output name>_split.wasm`, the main module, still to be passed through wasm-bindgen;
//! - one `.wasm` per split point and per chunk of code that several split points share;
//! - the loader `__wasm_split.______________________.js` that the main module imports (the name Leptos'
//!   `HydrationScripts` preloads);
//! - `__wasm_split_manifest.json`: for each split point, the files it needs. The server reads it to add
//!   `<link rel="preload">` for the chunks of the page it renders, so they download alongside the main
//!   module instead of after it.
//!
//! The input must be linked with `--emit-relocs`: the splitter moves functions and data between modules
//! and rewrites their references from the relocations.
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg_dir, name] = args.as_slice() else {
        eprintln!("usage: portall-wasm-split <input.wasm> <pkg dir> <output name>");
        return ExitCode::from(2);
    };
    match split(Path::new(input), Path::new(pkg_dir), name) {
        Ok(files) => {
            println!("split into the main module and {files} more");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("portall-wasm-split: {e}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &Path, pkg_dir: &Path, name: &str) -> Result<usize, String> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    std::fs::create_dir_all(pkg_dir).map_err(|e| format!("cannot create {}: {e}", pkg_dir.display()))?;
    let main_out = pkg_dir.join(format!("{name}_split.wasm"));
    let main_module = format!("/pkg/{name}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = pkg_dir;
        opts.main_out_path = &main_out;
        opts.main_module = &main_module;
        opts.link_name = "./__wasm_split.______________________.js";
        opts
    })
    .map_err(|e| format!("{e:?}"))?;
    // Sorted, so the same build writes the same file.
    let manifest: std::collections::BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    let path = pkg_dir.join("__wasm_split_manifest.json");
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(split.split_modules.len())
}
