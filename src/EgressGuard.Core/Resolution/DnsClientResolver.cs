using DnsClient;
using DnsClient.Protocol;

namespace EgressGuard.Resolution;

/// <summary>
/// Resolves with DnsClient.NET against the configured servers. A and AAAA are asked in parallel;
/// a CNAME chain is followed (bounded) when the server does not return the final addresses; only
/// records owned by the name or a name of its chain are taken, so a stray record in an answer
/// cannot add an address that was never asked for. <c>localhost</c> and <c>*.localhost</c> are
/// answered locally with loopback (RFC 6761), never sent to a server.
/// </summary>
internal sealed class DnsClientResolver : IResolver
{
    private static readonly IPAddress[] LoopbackAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    private readonly LookupClient _client;
    private readonly DnsOptions _options;

    public DnsClientResolver(DnsOptions options)
    {
        _options = options;
        var lookupOptions = options.Servers.Count == 0
            ? new LookupClientOptions()
            : new LookupClientOptions(options.Servers.Select(ParseServer).ToArray());
        lookupOptions.UseCache = false;
        lookupOptions.Timeout = options.Timeout;
        lookupOptions.Retries = options.Retries;
        lookupOptions.ThrowDnsErrors = false;
        lookupOptions.ContinueOnDnsError = true;
        lookupOptions.ContinueOnEmptyResponse = false;
        lookupOptions.UseTcpFallback = true;
        _client = new LookupClient(lookupOptions);
    }

    public IReadOnlyList<string> Servers => _client.NameServers.Select(s => s.ToString()).ToList();

    public static IPEndPoint ParseServer(string text) =>
        IPEndPoint.TryParse(text, out var endpoint)
            ? (endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint)
            : throw new FormatException($"'{text}' is not ip:port");

    public async ValueTask<Resolution> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal))
        {
            return new Resolution(LoopbackAddresses, [], ResolutionError.None, null, TimeSpan.FromMinutes(5));
        }

        var v4 = QueryChainAsync(name, QueryType.A, cancellationToken);
        var v6 = QueryChainAsync(name, QueryType.AAAA, cancellationToken);
        var a = await v4.ConfigureAwait(false);
        var aaaa = await v6.ConfigureAwait(false);

        var names = a.Names.Union(aaaa.Names, StringComparer.Ordinal).ToList();
        var addresses = new List<IPAddress>(a.Addresses.Count + aaaa.Addresses.Count);
        addresses.AddRange(a.Addresses);
        foreach (var address in aaaa.Addresses)
        {
            if (!addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        var ttl = a.Ttl < aaaa.Ttl ? a.Ttl : aaaa.Ttl;
        if (addresses.Count > 0)
        {
            // One family answering is enough: only what was answered is ever checked and dialled.
            return new Resolution(addresses, names, ResolutionError.None, null, ttl);
        }

        // Report the most telling failure: a timeout or server failure beats "no records".
        var failure = Worst(a, aaaa);
        return failure.Error == ResolutionError.None
            ? Resolution.Failed(ResolutionError.NoAddresses, $"{name} has no A or AAAA records", names, ttl)
            : Resolution.Failed(failure.Error, failure.Detail!, names, ttl);
    }

    private static ChainResult Worst(ChainResult a, ChainResult b)
    {
        static int Rank(ResolutionError e) => e switch
        {
            ResolutionError.Timeout => 5,
            ResolutionError.ServerFailure => 4,
            ResolutionError.CnameChain => 3,
            ResolutionError.NxDomain => 2,
            _ => 0,
        };

        return Rank(a.Error) >= Rank(b.Error) ? a : b;
    }

    private async Task<ChainResult> QueryChainAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        var owners = new HashSet<string>(StringComparer.Ordinal) { name };
        var current = name;
        var ttl = _options.MaxCacheTtl;
        for (var step = 0; step <= _options.MaxCnameChain; step++)
        {
            IDnsQueryResponse response;
            try
            {
                response = await _client.QueryAsync(current, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            }
            catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
            {
                return new ChainResult([], names, ResolutionError.Timeout, $"DNS timeout resolving {current} ({type})", TimeSpan.Zero);
            }
            catch (DnsResponseException ex)
            {
                return new ChainResult([], names, ResolutionError.ServerFailure, $"DNS error resolving {current} ({type}): {ex.Code}", TimeSpan.Zero);
            }

            if (response.HasError)
            {
                var code = response.Header.ResponseCode;
                var error = code == DnsHeaderResponseCode.NotExistentDomain ? ResolutionError.NxDomain : ResolutionError.ServerFailure;
                var label = code == DnsHeaderResponseCode.NotExistentDomain ? "NXDOMAIN" : code.ToString().ToUpperInvariant();
                return new ChainResult([], names, error, $"DNS {label} for {current}", TimeSpan.Zero);
            }

            // Walk the chain through the CNAMEs of this answer (in any order), then take only the
            // address records owned by a name of the chain.
            var cnames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var record in response.Answers)
            {
                ttl = Min(ttl, TimeSpan.FromSeconds(Math.Max(0, record.TimeToLive)));
                if (record is CNameRecord cname)
                {
                    cnames.TryAdd(Normalize(cname.DomainName.Value), Normalize(cname.CanonicalName.Value));
                }
            }

            string? next = null;
            var tail = current;
            while (cnames.TryGetValue(tail, out var target))
            {
                if (!owners.Add(target))
                {
                    return new ChainResult([], names, ResolutionError.CnameChain, $"CNAME loop at {target}", TimeSpan.Zero);
                }

                names.Add(target);
                if (names.Count > _options.MaxCnameChain)
                {
                    return new ChainResult([], names, ResolutionError.CnameChain, $"CNAME chain of {name} longer than {_options.MaxCnameChain}", TimeSpan.Zero);
                }

                next = tail = target;
            }

            var addresses = new List<IPAddress>();
            foreach (var record in response.Answers)
            {
                IPAddress? address = record switch
                {
                    ARecord aRecord when type == QueryType.A => aRecord.Address,
                    AaaaRecord aaaaRecord when type == QueryType.AAAA => aaaaRecord.Address,
                    _ => null,
                };
                if (address is not null && owners.Contains(Normalize(record.DomainName.Value)))
                {
                    addresses.Add(AddressNormalizer.Canonicalize(address));
                }
            }

            if (addresses.Count > 0 || next is null)
            {
                return new ChainResult(addresses, names, ResolutionError.None, null, ttl);
            }

            // The server gave a CNAME without the target's records: follow it ourselves.
            current = next;
        }

        return new ChainResult([], names, ResolutionError.CnameChain, $"CNAME chain of {name} longer than {_options.MaxCnameChain}", TimeSpan.Zero);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Normalize(string name) =>
        (name.EndsWith('.') ? name[..^1] : name).ToLowerInvariant();

    private sealed record ChainResult(List<IPAddress> Addresses, List<string> Names, ResolutionError Error, string? Detail, TimeSpan Ttl);
}
