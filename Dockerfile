# Multi-stage build: compile in the Rust image, run on a small Debian base as a
# non-root user. Build: docker build -t leadpost .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY config ./config
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /data leadpost \
 && mkdir -p /data && chown leadpost /data
COPY --from=build /src/target/release/leadpost /usr/local/bin/leadpost
USER leadpost
WORKDIR /data
ENV LEADPOST_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/leadpost.db \
    LEADPOST_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["leadpost"]
CMD ["serve"]
