namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A real OpenLDAP server (Debian's slapd) on a free loopback port with a temp slapd.conf and an
/// mdb database loaded by <c>slapadd</c>: people alice, bob, carol, dave; groups staff (alice),
/// contractors (bob), devs (carol) and engineering (whose member is the group devs: one nested
/// group); a service account the proxy binds as. Stopped (and deleted) at dispose.
/// </summary>
public sealed class TestSlapd : IDisposable
{
    public const string BaseDn = "dc=egressguard,dc=test";
    public const string BindDn = "cn=egressguard,ou=services," + BaseDn;
    public const string BindPassword = "ldap-bind-secret";

    private ServerProcess? _slapd;

    private TestSlapd(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public static readonly string[] Programs = ["slapd", "slapadd"];

    public string Directory { get; }

    public int Port { get; }

    public string Url => $"ldap://127.0.0.1:{Port}";

    public string PasswordFile => Path.Combine(Directory, "bind-password");

    /// <summary>The proxy options that point at this server (groupOfNames, no memberOf overlay).</summary>
    public string[] ProxyOptions(bool nested = true) =>
    [
        $"--Directory:Ldap:Url={Url}",
        $"--Directory:Ldap:BindDn={BindDn}",
        $"--Directory:Ldap:PasswordFile={PasswordFile}",
        $"--Directory:Ldap:BaseDn={BaseDn}",
        "--Directory:Ldap:UserFilter=(uid={user})",
        "--Directory:Ldap:GroupAttribute=",
        "--Directory:Ldap:GroupFilter=(&(objectClass=groupOfNames)(member={dn}))",
        $"--Directory:Ldap:Nested={nested}",
    ];

    public static async Task<TestSlapd> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "egressguard-tests", "slapd-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "db"));
        var slapd = new TestSlapd(directory, ServerProcess.FreePort());
        File.WriteAllText(slapd.PasswordFile, BindPassword + "\n");
        var config = Path.Combine(directory, "slapd.conf");
        File.WriteAllText(config, $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile {directory}/slapd.pid
            database mdb
            suffix "{BaseDn}"
            rootdn "cn=admin,{BaseDn}"
            rootpw admin-{Guid.NewGuid():N}
            directory {directory}/db
            maxsize 10485760
            access to attrs=userPassword by anonymous auth by * none
            access to * by dn.exact="{BindDn}" read by * none
            """);
        var people = new[] { "alice", "bob", "carol", "dave" }.Select(u => $"""
            dn: uid={u},ou=people,{BaseDn}
            objectClass: inetOrgPerson
            uid: {u}
            cn: {u}
            sn: {u}
            """ + "\n\n");
        static string Group(string name, string member) => $"""
            dn: cn={name},ou=groups,{BaseDn}
            objectClass: groupOfNames
            cn: {name}
            member: {member}
            """ + "\n\n";
        var ldif = $"""
            dn: {BaseDn}
            objectClass: dcObject
            objectClass: organization
            o: EgressGuard test
            dc: egressguard

            dn: ou=people,{BaseDn}
            objectClass: organizationalUnit
            ou: people

            dn: ou=groups,{BaseDn}
            objectClass: organizationalUnit
            ou: groups

            dn: ou=services,{BaseDn}
            objectClass: organizationalUnit
            ou: services

            dn: {BindDn}
            objectClass: person
            cn: egressguard
            sn: service
            userPassword: {BindPassword}

            {string.Concat(people)}{Group("staff", $"uid=alice,ou=people,{BaseDn}")}{Group("contractors", $"uid=bob,ou=people,{BaseDn}")}{Group("devs", $"uid=carol,ou=people,{BaseDn}")}{Group("engineering", $"cn=devs,ou=groups,{BaseDn}")}
            """;
        var ldifPath = Path.Combine(directory, "tree.ldif");
        File.WriteAllText(ldifPath, ldif);
        var none = new Dictionary<string, string>();
        await ServerProcess.RunAsync("slapadd", ["-f", config, "-l", ldifPath], none);
        slapd._slapd = await ServerProcess.StartAsync("slapd", ["-d", "0", "-f", config, "-h", slapd.Url + "/"], none, slapd.Port);
        return slapd;
    }

    /// <summary>An outage: the server stops now.</summary>
    public void Stop() => _slapd?.Stop();

    public void Dispose()
    {
        _slapd?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
