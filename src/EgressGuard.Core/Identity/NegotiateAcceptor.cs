using System.Net.Security;

namespace EgressGuard.Identity;

/// <summary>
/// Accepts one SPNEGO/Kerberos token (RFC 4559) with .NET's <see cref="NegotiateAuthentication"/>
/// (GSSAPI on Linux) against the proxy's keytab:
/// 1. decode; a bare NTLMSSP message or an SPNEGO offer of NTLM alone is refused as NTLM;
/// 2. one GSSAPI accept; Kerberos completes in one leg, so "continue" means another mechanism: refused;
/// 3. a completed context must be Kerberos (never NTLM), and names the client principal.
/// The token is never logged or kept; the mutual-authentication reply is not sent back (proxies
/// answer the request itself, and the clients here do not require it).
/// </summary>
internal sealed class NegotiateAcceptor
{
    private static ReadOnlySpan<byte> NtlmSignature => "NTLMSSP\0"u8;

    /// <summary>DER of the NTLMSSP mechanism OID 1.3.6.1.4.1.311.2.2.10.</summary>
    private static ReadOnlySpan<byte> NtlmOid => [0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0A];

    /// <summary>DER of Kerberos V5 (1.2.840.113554.1.2.2); Microsoft's legacy OID differs in one byte.</summary>
    private static ReadOnlySpan<byte> KerberosOid => [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02];

    private static ReadOnlySpan<byte> MsKerberosOid => [0x06, 0x09, 0x2A, 0x86, 0x48, 0x82, 0xF7, 0x12, 0x01, 0x02, 0x02];

    /// <summary>SPNEGO, so that clients that wrap Kerberos (browsers, curl) and bare Kerberos tokens both work.</summary>
    private readonly NegotiateAuthenticationServerOptions _server = new() { Package = "Negotiate" };

    /// <param name="keytab">The keytab to accept with (registered process-wide), or null for the
    /// environment's (<c>KRB5_KTNAME</c>).</param>
    public NegotiateAcceptor(string? keytab = null)
    {
        if (keytab is not null && GssAcceptorIdentity.Register(keytab) is { } error)
        {
            throw new InvalidOperationException(error);
        }
    }

    /// <summary>Accepts the base64 token of a <c>Proxy-Authorization: Negotiate …</c> header.</summary>
    public NegotiateOutcome Accept(string base64Token)
    {
        // 1. Decode.
        byte[] token;
        try
        {
            token = Convert.FromBase64String(base64Token.Trim());
        }
        catch (FormatException)
        {
            return NegotiateOutcome.Fail(NegotiateFailure.Malformed, "the token is not base64");
        }

        if (token.Length == 0)
        {
            return NegotiateOutcome.Fail(NegotiateFailure.Malformed, "empty token");
        }

        if (IsNtlm(token))
        {
            return NegotiateOutcome.Fail(NegotiateFailure.Ntlm, "NTLM offered inside Negotiate");
        }

        // 2. One leg.
        using var context = new NegotiateAuthentication(_server);
        NegotiateAuthenticationStatusCode status;
        try
        {
            context.GetOutgoingBlob(token, out status);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException or DllNotFoundException)
        {
            return NegotiateOutcome.Fail(NegotiateFailure.Rejected, "GSSAPI error: " + ex.GetType().Name);
        }

        if (status == NegotiateAuthenticationStatusCode.ContinueNeeded)
        {
            return NegotiateOutcome.Fail(NegotiateFailure.MultiLeg, "the client's mechanism needs more than one round trip (not Kerberos)");
        }

        if (status != NegotiateAuthenticationStatusCode.Completed || !context.IsAuthenticated)
        {
            return NegotiateOutcome.Fail(NegotiateFailure.Rejected, status switch
            {
                NegotiateAuthenticationStatusCode.CredentialsExpired or NegotiateAuthenticationStatusCode.ContextExpired => status + ": the ticket has expired",
                NegotiateAuthenticationStatusCode.TargetUnknown or NegotiateAuthenticationStatusCode.UnknownCredentials => status + ": no key for the ticket's service principal in the keytab",
                _ => status + ": forged, altered, replayed or expired, or for a key the keytab does not hold",
            });
        }

        // 3. Kerberos only.
        if (!string.Equals(context.Package, "Kerberos", StringComparison.OrdinalIgnoreCase))
        {
            return NegotiateOutcome.Fail(NegotiateFailure.Ntlm, "the negotiated package is " + context.Package);
        }

        var name = context.RemoteIdentity.Name;
        return string.IsNullOrEmpty(name)
            ? NegotiateOutcome.Fail(NegotiateFailure.Rejected, "no client principal")
            : new NegotiateOutcome(name, NegotiateFailure.None, "Kerberos");
    }

    /// <summary>A bare NTLMSSP message, or an SPNEGO token that offers NTLM and no Kerberos.</summary>
    internal static bool IsNtlm(ReadOnlySpan<byte> token) =>
        token.StartsWith(NtlmSignature)
        || (token.IndexOf(NtlmOid) >= 0 && token.IndexOf(KerberosOid) < 0 && token.IndexOf(MsKerberosOid) < 0);
}
