using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace EgressGuard.AdminConsole;

/// <summary>
/// The console's files, embedded in the program (<c>AdminConsole/wwwroot</c> → resources named
/// <c>console/…</c>): nothing is read from disk or fetched at run time, so the console works with no
/// internet and cannot be changed by whoever can write next to the program. Read once, with a
/// content hash for <c>ETag</c>.
/// </summary>
internal sealed class ConsoleAssets
{
    private const string Prefix = "console/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, ConsoleAsset> _files;

    public ConsoleAssets()
        : this(typeof(ConsoleAssets).Assembly)
    {
    }

    public ConsoleAssets(Assembly assembly)
    {
        var files = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            files[path] = new ConsoleAsset(bytes, type, $"\"{Convert.ToHexString(SHA256.HashData(bytes), 0, 8)}\"");
        }

        _files = files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every file's path below <c>/ui/</c>.</summary>
    public IEnumerable<string> Paths => _files.Keys;

    /// <summary>The file at <paramref name="path"/> (below <c>/ui/</c>; empty for the page itself).</summary>
    public ConsoleAsset? Find(string path) => _files.GetValueOrDefault(path.Length == 0 ? "index.html" : path);
}
