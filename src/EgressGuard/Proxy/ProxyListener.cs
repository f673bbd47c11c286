using EgressGuard.Identity;

namespace EgressGuard.Proxy;

/// <summary>
/// One entry of <c>Proxy:Listen</c>: the configuration key that names it in every message
/// (<c>Proxy:Listen</c> for the single-string form, <c>Proxy:Listen:N</c> for an array entry), the
/// address to bind and its client-side TLS (an HTTPS proxy listener when <see cref="ProxyTlsOptions.Enabled"/>).
/// </summary>
internal sealed record ProxyListener(string Key, IPEndPoint Endpoint, ProxyTlsOptions Tls);
