using System.Net;
using EgressGuard.Files;
using EgressGuard.History;
using EgressGuard.Identity;
using EgressGuard.Quarantine;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Files;

/// <summary>Core's files with secrets or personal data are created 0600 by the call that creates them (issue 16, item 10). Unix only.</summary>
public sealed class PrivateFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-private-" + Guid.NewGuid().ToString("N"));

    public PrivateFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteAllText_NewAndReplaced_Mode0600AndNoTempLeft()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_dir, "secret");
        PrivateFile.WriteAllText(path, "one");
        Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(path));

        PrivateFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void IsOpenToOthers_0644And0600_TrueThenFalse()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_dir, "key");
        PrivateFile.WriteAllText(path, "k");
        Assert.False(PrivateFile.IsOpenToOthers(path, out _));

        File.SetUnixFileMode(path, PrivateFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.True(PrivateFile.IsOpenToOthers(path, out var mode));
        Assert.Equal("0644", PrivateFile.Octal(mode));
    }

    [Fact]
    public void HistoryStore_NewDatabaseAndItsWal_Mode0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_dir, "history.db");
        using (var store = new HistoryStore(path))
        {
            store.Write([new HistoryRecord { Time = DateTimeOffset.UtcNow, Client = IPAddress.Parse("10.1.2.3"), ClientPort = 40000, Method = "CONNECT", Host = "example.com", Port = 443, Addresses = [IPAddress.Parse("192.0.2.1")], Cnames = [], Decision = "allow", Status = 200 }]);
            Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(path));
            foreach (var companion in Directory.GetFiles(_dir, "history.db-*"))
            {
                Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(companion));
            }
        }
    }

    [Fact]
    public void QuarantineStore_Saved_Mode0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = Path.Combine(_dir, "quarantine.json");
        var store = new QuarantineStore(path, new Remediation([]), clock);

        store.Quarantine(IPAddress.Parse("10.9.9.9"), clock.GetUtcNow().AddHours(1), "test", "tester");

        Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(path));
    }

    [Fact]
    public void UsersFile_Saved_Mode0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_dir, "users.json");
        UsersFile.Save(path, new UsersDocument { Users = [new UserEntry { Name = "alice", Password = PasswordHasher.Hash("pw", 1000) }] });

        Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(path));
    }
}
