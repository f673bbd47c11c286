namespace EgressGuard.Cli;

/// <summary>
/// Where the CLI finds the admin API and its token: <c>--admin URL</c> / <c>--token TOKEN</c>, then
/// <c>EGRESSGUARD_ADMIN_URL</c> / <c>EGRESSGUARD_ADMIN_TOKEN</c>, then <c>Admin:Listen</c> /
/// <c>Admin:Token</c> (or the generated <c>Data:Directory/admin-token</c>) from the config.
/// </summary>
internal sealed record AdminClientSettings(Uri BaseAddress, string? Token)
{
    public static AdminClientSettings Resolve(string[] args, out string[] remaining)
    {
        string? url = null, token = null, config = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--admin" when i + 1 < args.Length:
                    url = args[++i];
                    break;
                case "--token" when i + 1 < args.Length:
                    token = args[++i];
                    break;
                case "--config" when i + 1 < args.Length:
                    config = args[++i];
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        remaining = [.. rest];
        url ??= Environment.GetEnvironmentVariable("EGRESSGUARD_ADMIN_URL");
        token ??= Environment.GetEnvironmentVariable("EGRESSGUARD_ADMIN_TOKEN");
        if (url is null || token is null)
        {
            var path = config is not null ? Path.GetFullPath(config) : CommandLine.FindDefaultConfig();
            var configuration = new ConfigurationBuilder();
            if (File.Exists(path))
            {
                configuration.AddJsonFile(path, optional: true);
            }

            var values = configuration.AddEnvironmentVariables("EGRESSGUARD__").Build();
            var listen = values["Admin:Listen"] is { Length: > 0 } l ? l : "127.0.0.1:3129";
            url ??= $"http://{listen.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal)}";
            token ??= values["Admin:Token"] is { Length: > 0 } t ? t : null;
            if (token is null)
            {
                var baseDirectory = File.Exists(path) ? Path.GetDirectoryName(path)! : Directory.GetCurrentDirectory();
                var data = Path.GetFullPath(values["Data:Directory"] is { Length: > 0 } d ? d : "data", baseDirectory);
                var generated = Path.Combine(data, "admin-token");
                token = File.Exists(generated) ? File.ReadAllText(generated).Trim() : null;
            }
        }

        return new AdminClientSettings(new Uri(url.EndsWith('/') ? url : url + "/"), token);
    }
}
