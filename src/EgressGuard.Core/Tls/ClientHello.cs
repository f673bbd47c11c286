using System.Buffers.Binary;

namespace EgressGuard.Tls;

/// <summary>
/// The fields of a TLS ClientHello that matter without decrypting: the server name (SNI), the
/// protocols offered (ALPN) and the highest version offered (supported_versions, TLS 1.3's way,
/// else the legacy field). The handshake message is reassembled from as many TLS records as carry
/// it (TLS lets a sender cut a handshake message anywhere, down to one byte a record: reading only
/// the first record let a split hello hide its name), bounds-checked at every step, and read
/// strictly: a hello a TLS server would reject is <see cref="ClientHelloStatus.Malformed"/>, never
/// half-read.
/// </summary>
internal sealed record ClientHello(string? ServerName, IReadOnlyList<string> Alpn, string Version)
{
    private const byte Handshake = 22;
    private const byte ClientHelloType = 1;
    private const int MaxRecordLength = 16384;

    /// <summary>Bytes needed to see the record header and know the record's length.</summary>
    public const int HeaderLength = 5;

    /// <summary>The largest ClientHello message read (type, length and body): 16 KiB. A larger one is <see cref="ClientHelloStatus.Malformed"/>.</summary>
    public const int MaxMessageLength = 16384;

    /// <summary>
    /// The most bytes worth reading to find a hello: the largest message plus the headers of its
    /// records when each carries at least 16 bytes on average. A hello cut finer than that is not
    /// read in full (<see cref="ClientHelloStatus.Incomplete"/> at this size) — no real client does it.
    /// </summary>
    public const int MaxReadLength = MaxMessageLength + (MaxMessageLength / 16 * HeaderLength) + HeaderLength;

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

        var status = Reassemble(data, out var message);
        if (status != ClientHelloStatus.Parsed)
        {
            return status;
        }

        try
        {
            hello = Parse(message[4..]);
            return ClientHelloStatus.Parsed;
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException or InvalidDataException)
        {
            // Lengths that point past the data, duplicate or cut extensions: never trusted.
            return ClientHelloStatus.Malformed;
        }
    }

    /// <summary>Joins the payloads of the handshake records at the start of <paramref name="data"/> until the first message is whole.</summary>
    private static ClientHelloStatus Reassemble(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> message)
    {
        message = default;
        byte[]? joined = null;
        var have = 0;
        var at = 0;
        while (true)
        {
            if (data.Length - at < HeaderLength)
            {
                return ClientHelloStatus.Incomplete;
            }

            // Every record up to the end of the hello must be a handshake record (no alert, no
            // application data in between) of a TLS version, between 1 byte and 2^14 (RFC 8446 5.1).
            var recordLength = BinaryPrimitives.ReadUInt16BigEndian(data[(at + 3)..]);
            if (data[at] != Handshake || data[at + 1] != 3 || recordLength is 0 or > MaxRecordLength)
            {
                return ClientHelloStatus.Malformed;
            }

            if (data.Length - at - HeaderLength < recordLength)
            {
                return ClientHelloStatus.Incomplete;
            }

            var payload = data.Slice(at + HeaderLength, recordLength);
            at += HeaderLength + recordLength;
            if (joined is null && payload.Length >= 4 && payload[0] == ClientHelloType && payload.Length >= 4 + ((payload[1] << 16) | (payload[2] << 8) | payload[3]))
            {
                // The usual case, the whole hello in its first record: read in place.
                message = payload[..(4 + ((payload[1] << 16) | (payload[2] << 8) | payload[3]))];
                return ClientHelloStatus.Parsed;
            }

            joined ??= new byte[MaxMessageLength];
            var take = Math.Min(payload.Length, joined.Length - have);
            payload[..take].CopyTo(joined.AsSpan(have));
            have += take;
            if (have < 4)
            {
                continue;
            }

            if (joined[0] != ClientHelloType)
            {
                return ClientHelloStatus.Malformed;
            }

            var messageLength = 4 + ((joined[1] << 16) | (joined[2] << 8) | joined[3]);
            if (messageLength > MaxMessageLength)
            {
                return ClientHelloStatus.Malformed;
            }

            if (have >= messageLength)
            {
                message = joined.AsSpan(0, messageLength);
                return ClientHelloStatus.Parsed;
            }
        }
    }

    private static ClientHello Parse(ReadOnlySpan<byte> body)
    {
        var legacyVersion = BinaryPrimitives.ReadUInt16BigEndian(body);
        var at = 2 + 32;                                     // version, random
        at += 1 + body[at];                                  // session id
        at += 2 + BinaryPrimitives.ReadUInt16BigEndian(body[at..]);  // cipher suites
        at += 1 + body[at];                                  // compression methods
        if (at > body.Length)
        {
            throw new InvalidDataException("fields past the end of the hello");
        }

        string? serverName = null;
        var seen = new HashSet<ushort>();
        var alpn = new List<string>();
        var version = legacyVersion;
        if (at < body.Length)
        {
            // The extensions block fills the rest of the hello exactly; a server reads it so.
            var extensionsEnd = at + 2 + BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
            if (extensionsEnd != body.Length)
            {
                throw new InvalidDataException("extensions do not fill the hello");
            }

            at += 2;
            while (at < extensionsEnd)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(body[(at + 2)..]);
                var extension = body.Slice(at + 4, length);
                at += 4 + length;
                if (!seen.Add(type))
                {
                    // A repeated extension (two server names, say) is refused by TLS servers (RFC 8446 4.2): never read.
                    throw new InvalidDataException("repeated extension");
                }

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
        if (listEnd != extension.Length)
        {
            throw new InvalidDataException("server name list does not fill its extension");
        }

        string? hostName = null;
        for (var at = 2; at < listEnd;)
        {
            var nameType = extension[at];
            var length = BinaryPrimitives.ReadUInt16BigEndian(extension[(at + 1)..]);
            var name = extension.Slice(at + 3, length);
            at += 3 + length;
            if (nameType != 0)
            {
                continue;
            }

            // One host_name at most, never empty (RFC 6066 3): a second could be the one a server reads.
            if (hostName is not null || length == 0)
            {
                throw new InvalidDataException("empty or repeated host_name");
            }

            // host_name is ASCII by definition (IDNs travel as punycode); anything else is kept printable.
            hostName = Encoding.ASCII.GetString(name).Replace('\0', '?');
        }

        return hostName;
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
