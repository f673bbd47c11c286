using System.Buffers.Binary;
using System.Text;

namespace EgressGuard.Tls;

/// <summary>
/// The fields of a TLS ClientHello that matter without decrypting: the server name (SNI), the
/// protocols offered (ALPN) and the highest version offered (supported_versions, TLS 1.3's way,
/// else the legacy field). Parsed from the first record only, bounds-checked at every step.
/// </summary>
internal sealed record ClientHello(string? ServerName, IReadOnlyList<string> Alpn, string Version)
{
    private const byte Handshake = 22;
    private const byte ClientHelloType = 1;

    /// <summary>Bytes needed to see the record header and know the record's length.</summary>
    public const int HeaderLength = 5;

    public static ClientHelloStatus TryParse(ReadOnlySpan<byte> data, out ClientHello? hello)
    {
        hello = null;
        if (data.Length == 0)
        {
            return ClientHelloStatus.Incomplete;
        }

        if (data[0] != Handshake)
        {
            return ClientHelloStatus.NotTls;
        }

        if (data.Length < HeaderLength)
        {
            return ClientHelloStatus.Incomplete;
        }

        if (data[1] != 3)
        {
            return ClientHelloStatus.NotTls;
        }

        var recordLength = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        // TLSPlaintext records are at most 2^14 bytes: a longer "ClientHello" is not one.
        if (recordLength is < 4 or > 16384)
        {
            return ClientHelloStatus.Malformed;
        }

        if (data.Length < HeaderLength + recordLength)
        {
            return ClientHelloStatus.Incomplete;
        }

        var record = data.Slice(HeaderLength, recordLength);
        if (record[0] != ClientHelloType)
        {
            return ClientHelloStatus.Malformed;
        }

        var bodyLength = (record[1] << 16) | (record[2] << 8) | record[3];
        // A ClientHello larger than its first record (rare: huge key shares) is read as far as it goes.
        var body = record[4..];
        if (bodyLength < body.Length)
        {
            body = body[..bodyLength];
        }

        try
        {
            hello = Parse(body);
            return ClientHelloStatus.Parsed;
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // Lengths that point past the data: never trusted, the tunnel just goes unlabelled.
            return ClientHelloStatus.Malformed;
        }
    }

    private static ClientHello Parse(ReadOnlySpan<byte> body)
    {
        var legacyVersion = BinaryPrimitives.ReadUInt16BigEndian(body);
        var at = 2 + 32;                                     // version, random
        at += 1 + body[at];                                  // session id
        at += 2 + BinaryPrimitives.ReadUInt16BigEndian(body[at..]);  // cipher suites
        at += 1 + body[at];                                  // compression methods
        string? serverName = null;
        var alpn = new List<string>();
        var version = legacyVersion;
        if (at + 2 <= body.Length)
        {
            var extensionsEnd = Math.Min(body.Length, at + 2 + BinaryPrimitives.ReadUInt16BigEndian(body[at..]));
            at += 2;
            while (at + 4 <= extensionsEnd)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(body[(at + 2)..]);
                if (at + 4 + length > body.Length)
                {
                    // Cut off (a hello spread over several records): keep what was read so far.
                    break;
                }

                var extension = body.Slice(at + 4, length);
                at += 4 + length;
                switch (type)
                {
                    case 0x0000:
                        serverName = ReadServerName(extension);
                        break;
                    case 0x0010:
                        ReadAlpn(extension, alpn);
                        break;
                    case 0x002b:
                        version = Highest(extension, version);
                        break;
                }
            }
        }

        return new ClientHello(serverName, alpn, VersionName(version));
    }

    private static string? ReadServerName(ReadOnlySpan<byte> extension)
    {
        var listEnd = 2 + BinaryPrimitives.ReadUInt16BigEndian(extension);
        for (var at = 2; at + 3 <= listEnd;)
        {
            var nameType = extension[at];
            var length = BinaryPrimitives.ReadUInt16BigEndian(extension[(at + 1)..]);
            var name = extension.Slice(at + 3, length);
            if (nameType == 0)
            {
                // host_name is ASCII by definition (IDNs travel as punycode); anything else is kept printable.
                return Encoding.ASCII.GetString(name).Replace('\0', '?');
            }

            at += 3 + length;
        }

        return null;
    }

    private static void ReadAlpn(ReadOnlySpan<byte> extension, List<string> protocols)
    {
        var listEnd = 2 + BinaryPrimitives.ReadUInt16BigEndian(extension);
        for (var at = 2; at < listEnd;)
        {
            var length = extension[at];
            protocols.Add(Encoding.ASCII.GetString(extension.Slice(at + 1, length)));
            at += 1 + length;
        }
    }

    private static ushort Highest(ReadOnlySpan<byte> extension, ushort current)
    {
        var highest = current;
        var length = extension[0];
        for (var at = 1; at + 2 <= 1 + length; at += 2)
        {
            var v = BinaryPrimitives.ReadUInt16BigEndian(extension[at..]);
            // GREASE values (0x?A?A) are placeholders, not versions.
            if ((v & 0x0F0F) != 0x0A0A && v > highest && v <= 0x0304)
            {
                highest = v;
            }
        }

        return highest;
    }

    private static string VersionName(ushort version) => version switch
    {
        0x0304 => "1.3",
        0x0303 => "1.2",
        0x0302 => "1.1",
        0x0301 => "1.0",
        0x0300 => "ssl3",
        _ => $"0x{version:x4}",
    };
}
