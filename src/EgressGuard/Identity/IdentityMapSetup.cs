namespace EgressGuard.Identity;

/// <summary>The <c>Identity</c> section's start-time checks and the map for the host.</summary>
internal static class IdentityMapSetup
{
    public static void Validate(IdentityOptions identity, ConfigPaths paths, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(identity.Map))
        {
            return;
        }

        var path = paths.Resolve(identity.Map);
        if (!File.Exists(path))
        {
            errors.Add($"Identity:Map = '{identity.Map}': {path} not found");
            return;
        }

        errors.AddRange(IdentityMap.Parse(path, File.ReadAllLines(path)).Errors);
    }

    public static IdentityMap? Create(IdentityOptions identity, ConfigPaths paths, TimeProvider time, ILoggerFactory loggers) =>
        string.IsNullOrWhiteSpace(identity.Map) ? null : new IdentityMap(paths.Resolve(identity.Map), time, loggers.CreateLogger("EgressGuard.Identity"));
}
