# syntax=docker/dockerfile:1
# Multi-stage: build with the SDK, run on the ASP.NET runtime as a non-root user.
# Mirrors `dotnet publish src/EgressGuard -c Release` (exercised by the tests' build).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props EgressGuard.sln ./
COPY src/EgressGuard.Core/EgressGuard.Core.csproj src/EgressGuard.Core/
COPY src/EgressGuard/EgressGuard.csproj src/EgressGuard/
RUN dotnet restore src/EgressGuard/EgressGuard.csproj
COPY src/ src/
RUN dotnet publish src/EgressGuard/EgressGuard.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
COPY config/ ./config/
# Inside the container the proxy listens on all interfaces; publish the port with care
# (EgressGuard must never be an open relay: restrict who can reach it).
ENV EGRESSGUARD__Proxy__Listen=0.0.0.0:3128 \
    EGRESSGUARD__Data__Directory=/data
RUN mkdir -p /data && chown app:app /data
USER app
EXPOSE 3128
VOLUME ["/app/config", "/data"]
# The runtime image has no curl: ask /healthz over bash's /dev/tcp.
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3128 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "EgressGuard.dll", "--config", "/app/config/egressguard.json"]
