namespace EgressGuard.Configuration;

/// <summary>Configuration section <c>Node</c>: this proxy's place in a fleet.</summary>
internal sealed class NodeOptions
{
    public const string Section = "Node";

    /// <summary>
    /// The node's name, written as <c>egressguard.node</c> on every decision line, span, alert and
    /// history row so that an investigator can tell which node decided. Default: the host name.
    /// Letters, digits, <c>.</c>, <c>-</c> and <c>_</c>, at most 63 characters.
    /// </summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Collects every bad value with its key, for the start-up validation.</summary>
    public static void Validate(NodeOptions options, List<string> errors)
    {
        if (string.IsNullOrEmpty(options.Name) || options.Name.Length > 63 || !options.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            errors.Add($"Node:Name = '{options.Name}': 1 to 63 letters, digits, '.', '-' or '_'");
        }
    }
}
