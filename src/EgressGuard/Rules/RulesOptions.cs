namespace EgressGuard.Rules;

/// <summary>Configuration section <c>Rules</c>.</summary>
internal sealed class RulesOptions
{
    public const string Section = "Rules";

    /// <summary>The rules file, relative to the config file's folder. Watched: edits apply without a restart. Default <c>rules.json</c>.</summary>
    public string File { get; set; } = "rules.json";

    /// <summary>How many earlier versions the admin API keeps for rollback (in <c>Data:Directory/rules-history</c>). Default 20.</summary>
    public int HistoryLimit { get; set; } = 20;
}
