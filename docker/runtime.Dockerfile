# The Portall image's only stage: nothing but the static binary, the browser assets and the CA roots.
# `make image` builds the binary (musl, profile `dist`) and the assets first and passes them as the
# build context (target/image/), so building needs no base image from a registry. The Dockerfile at the
# top of the repository does the same in one `docker build` for machines that can pull `rust`.
FROM scratch

COPY portall /portall
COPY site /site
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65534:65534 data /data

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
