namespace EgressGuard.Fleet;

/// <summary>
/// Configuration section <c>Store</c>: where shared state lives. Unset (the default), every node
/// keeps its own rules file, quarantine file, alerts and SQLite history. With a PostgreSQL
/// connection string, the node runs in fleet mode: rules (history, rollback, audit), quarantine,
/// alerts, the investigation history and feed status are shared by every node using that database.
/// </summary>
internal sealed class StoreOptions
{
    public const string Section = "Store";

    /// <summary>
    /// An Npgsql connection string (<c>Host=db;Database=egressguard;Username=eg;Password=…</c>).
    /// Prefer <see cref="PostgresFile"/>: a password here ends up wherever the configuration is
    /// copied. Default: none (single-node mode).
    /// </summary>
    public string? Postgres { get; set; }

    /// <summary>A file holding the connection string (a Kubernetes Secret, a Docker secret); relative to the config file's folder. Default: none.</summary>
    public string? PostgresFile { get; set; }

    /// <summary>
    /// How often every node compares its rules and quarantine versions with the store, catching a
    /// missed notification. Changes normally arrive by <c>LISTEN/NOTIFY</c> within milliseconds.
    /// Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest wait for one store operation (connect or statement). The proxy path never waits on
    /// the store; this bounds admin edits and background writes. Default 3 s.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// This node imports <c>Rules:File</c> into the fleet when the file changes (the node that
    /// "owns" the file: one per fleet). Other nodes ignore their rules file once the store has
    /// rules. Default false.
    /// </summary>
    public bool RulesFileOwner { get; set; }

    /// <summary>True when a connection string is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(Postgres) || !string.IsNullOrEmpty(PostgresFile);

    /// <summary>The connection string, read from the file when <see cref="PostgresFile"/> is set.</summary>
    public string ConnectionString(ConfigPaths paths) =>
        PostgresFile is { Length: > 0 } file ? File.ReadAllText(paths.Resolve(file)).Trim() : Postgres!;

    /// <summary>Collects every bad value with its key, for the start-up validation.</summary>
    public static void Validate(StoreOptions options, ConfigPaths paths, List<string> errors)
    {
        if (!string.IsNullOrEmpty(options.Postgres) && !string.IsNullOrEmpty(options.PostgresFile))
        {
            errors.Add("Store: set Postgres or PostgresFile, not both");
            return;
        }

        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Store:PollInterval = '{options.PollInterval}': between 00:00:00.001 and 00:01:00");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Store:Timeout = '{options.Timeout}': between 00:00:00.001 and 00:01:00");
        }

        if (!options.Enabled)
        {
            return;
        }

        string text;
        if (options.PostgresFile is { Length: > 0 } file)
        {
            var path = paths.Resolve(file);
            if (!File.Exists(path))
            {
                errors.Add($"Store:PostgresFile = '{file}': file not found ({path})");
                return;
            }

            text = File.ReadAllText(path).Trim();
        }
        else
        {
            text = options.Postgres!;
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException ex)
        {
            // Never echo the string itself: it may hold a password.
            errors.Add($"Store:{(options.PostgresFile is null ? "Postgres" : "PostgresFile")}: not a valid connection string ({ex.Message})");
        }
    }
}
