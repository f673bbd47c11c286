using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A real DNS server on 127.0.0.1 (ARSoft.Tools.Net, UDP) serving the test zone: A, AAAA and
/// CNAME records with TTLs, NXDOMAIN for unknown names, SERVFAIL on request, and answers that
/// change between queries (for DNS rebinding). Counts queries per name and type. Also linked into
/// the Core tests, where the resolver is tested against it directly.
/// </summary>
public sealed class TestDnsServer : IDisposable
{
    private DnsServer _server = null!;
    private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Func<int, IPAddress>> _dynamic = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _queries = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _servFail = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _strays = new(StringComparer.OrdinalIgnoreCase);

    public TestDnsServer()
    {
        // ARSoft binds the port itself, so a free port is picked first and may be taken by another
        // test's socket in between ("Address already in use"): pick again rather than fail.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreeUdpPort();
            _server = new DnsServer(new IServerTransport[] { new UdpServerTransport(new IPEndPoint(IPAddress.Loopback, Port), 2000) });
            _server.QueryReceived += OnQueryAsync;
            try
            {
                _server.Start();
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 20)
            {
            }
        }
    }

    public int Port { get; private set; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>
    /// True (default): a CNAME is followed within the zone and the whole chain answered, as a
    /// recursive resolver does. False: the CNAME alone is answered, and the client follows it.
    /// </summary>
    public bool FollowCnames { get; set; } = true;

    /// <summary>A name that exists with no records at all: NOERROR with an empty answer.</summary>
    public TestDnsServer NoData(string name)
    {
        _records.TryAdd(name, []);
        return this;
    }

    /// <summary>Adds to every A answer for <paramref name="name"/> a record owned by another name (a stray, or a poisoning try).</summary>
    public TestDnsServer Stray(string name, string owner, string address)
    {
        _strays.AddOrUpdate(name, _ => [new ARecord(DomainName.Parse(owner), 60, IPAddress.Parse(address))], (_, list) => { lock (list) { list.Add(new ARecord(DomainName.Parse(owner), 60, IPAddress.Parse(address))); } return list; });
        return this;
    }

    public TestDnsServer A(string name, string address, int ttl = 60) => Add(name, new ARecord(DomainName.Parse(name), ttl, IPAddress.Parse(address)));

    public TestDnsServer Aaaa(string name, string address, int ttl = 60) => Add(name, new AaaaRecord(DomainName.Parse(name), ttl, IPAddress.Parse(address)));

    public TestDnsServer Cname(string name, string target, int ttl = 60) => Add(name, new CNameRecord(DomainName.Parse(name), ttl, DomainName.Parse(target)));

    public TestDnsServer ServFail(string name)
    {
        lock (_servFail)
        {
            _servFail.Add(name);
        }

        return this;
    }

    /// <summary>An A record whose address depends on how many A queries came before (TTL 0).</summary>
    public TestDnsServer Changing(string name, Func<int, IPAddress> addressForQuery)
    {
        _dynamic[name] = addressForQuery;
        return this;
    }

    public int Queries(string name, RecordType type) => _queries.TryGetValue($"{name}/{type}", out var n) ? n : 0;

    private TestDnsServer Add(string name, DnsRecordBase record)
    {
        _records.AddOrUpdate(name, _ => [record], (_, list) => { lock (list) { list.Add(record); } return list; });
        return this;
    }

    private Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return Task.CompletedTask;
        }

        var question = query.Questions[0];
        var response = query.CreateResponseInstance();
        var name = question.Name.ToString(false).TrimEnd('.');
        var count = _queries.AddOrUpdate($"{name}/{question.RecordType}", 1, (_, n) => n + 1);
        bool servFail;
        lock (_servFail)
        {
            servFail = _servFail.Contains(name);
        }

        if (servFail)
        {
            response.ReturnCode = ReturnCode.ServerFailure;
            e.Response = response;
            return Task.CompletedTask;
        }

        if (_dynamic.TryGetValue(name, out var dynamic))
        {
            if (question.RecordType == RecordType.A)
            {
                response.AnswerRecords.Add(new ARecord(question.Name, 0, dynamic(count)));
            }

            e.Response = response;
            return Task.CompletedTask;
        }

        // Follow CNAMEs within the zone, as a recursive resolver would, and answer the chain.
        var current = name;
        var known = false;
        for (var hops = 0; hops < 20 && _records.TryGetValue(current, out var records); hops++)
        {
            known = true;
            List<DnsRecordBase> snapshot;
            lock (records)
            {
                snapshot = [.. records];
            }

            var cname = snapshot.OfType<CNameRecord>().FirstOrDefault();
            if (cname is not null)
            {
                response.AnswerRecords.Add(cname);
                if (!FollowCnames)
                {
                    break;
                }

                current = cname.CanonicalName.ToString(false).TrimEnd('.');
                continue;
            }

            response.AnswerRecords.AddRange(snapshot.Where(r => r.RecordType == question.RecordType));
            break;
        }

        if (!known)
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }
        else if (question.RecordType == RecordType.A && _strays.TryGetValue(name, out var strays))
        {
            lock (strays)
            {
                response.AnswerRecords.AddRange(strays);
            }
        }

        e.Response = response;
        return Task.CompletedTask;
    }

    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        try
        {
            _server.Stop();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OperationCanceledException))
        {
            // ARSoft's Stop waits on its listener tasks and reports their cancellation when the
            // server is stopped before it has served anything: stopped is what was asked for.
        }
    }
}

/// <summary>A UDP "DNS server" that reads queries and never answers: for DNS timeouts.</summary>
public sealed class SilentDnsServer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public SilentDnsServer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; private set; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public void Dispose() => _socket.Dispose();
}
