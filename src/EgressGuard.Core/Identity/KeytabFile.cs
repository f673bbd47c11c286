using System.Buffers.Binary;

namespace EgressGuard.Identity;

/// <summary>
/// Reads the principal names in an MIT keytab (format 0x0502, what <c>ktadd</c>, <c>ktutil</c>,
/// <c>ipa-getkeytab</c> and <c>ktpass</c> write) so that a start with a keytab lacking the
/// configured service principal fails with a clear message instead of every client getting 407.
/// Keys are skipped, never kept.
/// </summary>
internal static class KeytabFile
{
    public static (IReadOnlyList<string> Principals, string? Error) ReadPrincipals(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], $"cannot read {path}: {ex.Message}");
        }

        if (data.Length < 2 || data[0] != 0x05 || data[1] != 0x02)
        {
            return ([], $"{path} is not a keytab (expected format 0x0502)");
        }

        var principals = new List<string>();
        var offset = 2;
        try
        {
            while (offset + 4 <= data.Length)
            {
                var size = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(offset));
                offset += 4;
                if (size == 0)
                {
                    break;
                }

                if (size < 0)
                {
                    offset += -size; // a hole left by a deleted entry
                    continue;
                }

                var entry = data.AsSpan(offset, size);
                offset += size;
                var position = 0;
                var components = BinaryPrimitives.ReadUInt16BigEndian(entry[position..]);
                position += 2;
                var realm = ReadString(entry, ref position);
                var parts = new string[components];
                for (var i = 0; i < components; i++)
                {
                    parts[i] = ReadString(entry, ref position);
                }

                var name = string.Join('/', parts) + "@" + realm;
                if (!principals.Contains(name, StringComparer.Ordinal))
                {
                    principals.Add(name);
                }
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            return (principals, $"{path}: truncated keytab entry");
        }

        return (principals, null);
    }

    private static string ReadString(ReadOnlySpan<byte> entry, ref int position)
    {
        var length = BinaryPrimitives.ReadUInt16BigEndian(entry[position..]);
        position += 2;
        var value = Encoding.UTF8.GetString(entry.Slice(position, length));
        position += length;
        return value;
    }
}
