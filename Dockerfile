# archiver in a container: `docker build -t archiver .`, then
#   docker run -d --name archiver -v archive:/data archiver          (the daemon)
#   docker run --rm -v archive:/data archiver sync                    (one pass, from cron)
# The archive is the git repository in the /data volume; see README.md.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# A static binary, and the shipped config with the store on the volume and
# /healthz and /metrics on every interface of the container.
# -buildvcs=auto: the commit is in the binary's version (archiver version,
# the User-Agent).
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=auto -ldflags="-s -w" -o /out/archiver ./cmd/archiver \
 && sed -e 's|^  path: .*|  path: /data|' -e 's|^# listen: .*|listen: ":9180"|' config.yaml > /out/config.yaml \
 && grep -q '^  path: /data$' /out/config.yaml && grep -q '^listen: ":9180"$' /out/config.yaml

FROM debian:bookworm-slim
# The store runs the git command (and ssh, for an SSH store.remote); CA
# certificates for HTTPS; time zones.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home archiver \
 && mkdir /data && chown archiver:archiver /data
COPY --from=build /out/archiver /usr/local/bin/archiver
COPY --from=build /out/config.yaml /etc/archiver/config.yaml
ENV ARCHIVER_CONFIG=/etc/archiver/config.yaml
USER archiver
WORKDIR /data
VOLUME /data
EXPOSE 9180
HEALTHCHECK --interval=1m --timeout=10s --start-period=5m CMD ["archiver", "healthcheck"]
ENTRYPOINT ["archiver"]
CMD ["daemon"]
