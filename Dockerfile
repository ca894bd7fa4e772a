# Portall's container image in one `docker build -t portall .` (needs the `rust` and `debian` images
# from a registry). The result is the same as `make image`: a FROM-scratch image with the static binary.
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make image-context

FROM scratch
COPY --from=build /src/target/image/portall /portall
COPY --from=build /src/target/image/site /site
COPY --from=build /src/target/image/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=65534:65534 /src/target/image/data /data
ENV DATABASE_URL=sqlite:///data/portall.db \
    PORT=8080 \
    PORTALL_BIND=0.0.0.0 \
    PORTALL_SITE_ROOT=/site \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    RUST_LOG=info
USER 65534:65534
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/portall", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/portall"]
