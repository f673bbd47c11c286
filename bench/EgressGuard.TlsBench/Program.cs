// Load generator and TLS upstream for bench/tls/run: intercepted vs blind tunnels, loopback only,
// every run bounded by --seconds.
//   server --ports A,B --cert-out FILE [--max-seconds 3600]
//        HTTPS on 127.0.0.1:A and :B (self-signed, SAN 127.0.0.1); /1k and /stream?mb=N
//   client --target 127.0.0.1:PORT [--proxy 127.0.0.1:P] --trust FILE[,FILE] --mode setup|bulk --seconds S --concurrency C
//        setup: CONNECT, TLS handshake, GET /1k (Connection: close), close; prints tunnels/s
//        bulk:  one tunnel per worker, GET /stream?mb=16 repeatedly; prints MiB/s
using EgressGuard.TlsBench;

return args.Length > 0 && args[0] == "server" ? await Server.RunAsync(args[1..]) : await LoadClient.RunAsync(args.Length > 0 ? args[1..] : []);
