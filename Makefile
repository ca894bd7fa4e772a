# Portall's entry points. `make run` and `make test` install what is missing first (scripts/deps.sh).
SHELL := /bin/bash
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: deps deps-test site build run dev test test-rust test-e2e test-image test-arm64 lint fmt bench clean image image-context release-arm64

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

## The browser side into target/site: CSS (Trunk) and the wasm, one module per page (Trunk's hook
## scripts/build-wasm.sh: wasm-release profile, tools/wasm-split, wasm-bindgen, wasm-opt 132).
site:
	trunk build

## Release build: target/release/portall + target/site.
build: deps site
	cargo build --release -p server --bin portall

## Build and run at http://127.0.0.1:8080 on sqlite://data/portall.db.
run: build
	./target/release/portall

## Every test: formatting, clippy, unit + integration (real Docker), end-to-end (Playwright + chromium),
## and the container image as a user runs it.
test: deps-test lint site test-rust test-e2e test-image test-arm64

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test --workspace
	python3 -m openapi_spec_validator target/openapi.json

## End-to-end tests drive target/debug/portall in Debian's chromium. It is the binary test-rust built
## (cargo test writes it for the integration tests): `cargo build -p server` would compile ~40 crates
## again, because without the dev-dependencies their features unify differently (3 min on 2 cores).
test-e2e:
	cargo test --workspace --no-run
	cd end2end && npx playwright test

## Benchmarks (print figures): page render + weight; scan of 100 and 300 real containers; live updates;
## the importers on large files.
bench: build
	python3 scripts/bench-pages.py
	./target/release/portall bench-scan --containers 100,300
	./target/release/portall bench-import --services 100,1000
	./target/release/portall bench-live --runs 10 --burst 100
	./target/release/portall bench-hostscan

## The container image (FROM scratch, static musl binary): target/image/ is its build context, so no
## base image is pulled from a registry.
MUSL := x86_64-unknown-linux-musl
image-context: deps site
	scripts/deps.sh image
	cargo build --profile dist --target $(MUSL) -p server --bin portall
	rm -rf target/image && mkdir -p target/image/data
	cp target/$(MUSL)/dist/portall target/image/portall
	cp -r target/site target/image/site
	rm -rf target/image/site/.stage
	cp /etc/ssl/certs/ca-certificates.crt target/image/ca-certificates.crt

image: image-context
	DOCKER_BUILDKIT=0 docker build -q -f docker/runtime.Dockerfile -t portall:latest target/image
	@docker image inspect portall:latest --format 'portall:latest {{.Size}} bytes' 

## A release binary for arm64 (Raspberry Pi homelabs): cross-compiled, static (glibc, crt-static), into
## target/release-arm64/portall together with the browser assets (site/). The `dist` profile, as the image:
## on two cores it builds faster than `release` (14 min against 23 min measured: opt-level "z" does less work
## than 3 across the whole dependency tree), and the binary is smaller.
ARM64 := aarch64-unknown-linux-gnu
release-arm64: deps site
	scripts/deps.sh arm64
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static" \
	CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
	cargo build --profile dist --target $(ARM64) -p server --bin portall
	rm -rf target/release-arm64 && mkdir -p target/release-arm64
	cp target/$(ARM64)/dist/portall target/release-arm64/portall
	cp -r target/site target/release-arm64/site && rm -rf target/release-arm64/site/.stage
	@file target/release-arm64/portall

## The arm64 binary, run once under qemu-user: it must serve /healthz.
test-arm64: release-arm64
	scripts/test-arm64.sh target/release-arm64/portall

## The image as a user runs it: read-only, a fresh volume, health, sign-in, a Docker instance, SIGTERM.
test-image: image
	python3 scripts/test-image.py

fmt:
	cargo fmt --all

clean:
	cargo clean
