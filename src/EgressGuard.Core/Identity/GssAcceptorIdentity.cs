using System.Runtime.InteropServices;

namespace EgressGuard.Identity;

/// <summary>
/// Points the process's GSSAPI acceptor at a keytab. .NET's <c>NegotiateAuthentication</c> accepts
/// with the default acceptor credential, which MIT Kerberos takes from <c>KRB5_KTNAME</c> or
/// <c>/etc/krb5.keytab</c>; the environment cannot be changed from .NET once the process runs (it
/// keeps its own copy), so the keytab is registered through the library's own call. Process-wide:
/// one keytab per proxy process.
/// </summary>
internal static class GssAcceptorIdentity
{
    private const string Library = "libgssapi_krb5.so.2";

    /// <summary>Registers <paramref name="keytab"/>; null on success, else why not.</summary>
    public static string? Register(string keytab)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "Auth:Negotiate:Keytab is supported on Linux (MIT Kerberos GSSAPI); elsewhere use the system's keytab";
        }

        try
        {
            var major = RegisterMit(System.Text.Encoding.UTF8.GetBytes(keytab + "\0"));
            return major == 0 ? null : $"GSSAPI refused the keytab {keytab} (major status {major})";
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"{Library} (MIT Kerberos GSSAPI) is not usable: {ex.Message}; install libgssapi-krb5-2";
        }
    }

    /// <summary>Whether the GSSAPI library .NET's Negotiate support needs is present.</summary>
    public static bool IsAvailable() =>
        !OperatingSystem.IsLinux() || (NativeLibrary.TryLoad(Library, out var handle) && Free(handle));

    private static bool Free(IntPtr handle)
    {
        NativeLibrary.Free(handle);
        return true;
    }

    [DllImport(Library, EntryPoint = "krb5_gss_register_acceptor_identity", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint RegisterMit(byte[] keytabUtf8);
}
