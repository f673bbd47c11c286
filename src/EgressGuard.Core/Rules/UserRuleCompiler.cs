using EgressGuard.Lists;

namespace EgressGuard.Rules;

/// <summary>
/// Compiles a rule of the user's: action and mode, destinations (names and addresses), ports, sources,
/// feeds, paths, methods, inspection, upstream and expiry. Every problem is added to the errors and names the field and index.
/// </summary>
internal static class UserRuleCompiler
{
    public static Rule? Compile(RuleDto dto, string label, Func<string, bool> isKnownFeed, Func<string, bool> isKnownParent, DateTimeOffset now, bool rejectExpired, List<string> errors, List<string> warnings)
    {
        var start = errors.Count;
        if (dto.Action is not ("allow" or "deny"))
        {
            errors.Add($"{label}: action = '{dto.Action}': expected allow or deny");
        }

        var mode = EnforcementMode.Enforce;
        if (dto.Mode is not (null or "enforce" or "report"))
        {
            errors.Add($"{label}: mode = '{dto.Mode}': expected enforce or report");
        }
        else if (dto.Mode == "report")
        {
            mode = EnforcementMode.Report;
        }

        var names = new DomainSetBuilder();
        var addresses = new IpRangeIndexBuilder();
        var addressSource = addresses.AddSource("rule:" + dto.Id);
        int nameCount = 0, addressCount = 0;
        for (var i = 0; i < (dto.Destinations?.Count ?? 0); i++)
        {
            var text = dto.Destinations![i]?.Trim() ?? string.Empty;
            if (LooksLikeAddress(text))
            {
                if (IpNetworkParser.TryParse(text, out var range, out var warning, out var error))
                {
                    addresses.Add(addressSource, range);
                    addressCount++;
                    if (warning is not null)
                    {
                        warnings.Add($"{label}: destinations[{i}]: {warning}");
                    }
                }
                else
                {
                    errors.Add($"{label}: destinations[{i}] = '{text}': {error}");
                }
            }
            else if (DomainPattern.TryParse(text, out var pattern, out var nameError))
            {
                names.Add(pattern, "rule:" + dto.Id);
                nameCount++;
            }
            else
            {
                errors.Add($"{label}: destinations[{i}] = '{text}': {nameError}");
            }
        }

        var ports = new List<PortRange>();
        for (var i = 0; i < (dto.Ports?.Count ?? 0); i++)
        {
            if (PortRange.TryParse(dto.Ports![i], out var range))
            {
                ports.Add(range);
            }
            else
            {
                errors.Add($"{label}: ports[{i}] = '{dto.Ports[i]}': expected a port 1-65535 or a range like 8000-8100");
            }
        }

        IpRangeIndex? sources = null;
        if (dto.Sources is { Count: > 0 })
        {
            var builder = new IpRangeIndexBuilder();
            var source = builder.AddSource("sources");
            for (var i = 0; i < dto.Sources.Count; i++)
            {
                if (IpNetworkParser.TryParse(dto.Sources[i] ?? string.Empty, out var range, out _, out var error))
                {
                    builder.Add(source, range);
                }
                else
                {
                    errors.Add($"{label}: sources[{i}] = '{dto.Sources[i]}': {error}");
                }
            }

            sources = builder.Build();
        }

        foreach (var feed in dto.Feeds ?? [])
        {
            if (feed != "*" && !isKnownFeed(feed))
            {
                errors.Add($"{label}: feeds = '{feed}': no configured feed or category has this name");
            }
        }

        var paths = new List<PathPattern>();
        for (var i = 0; i < (dto.Paths?.Count ?? 0); i++)
        {
            if (PathPattern.TryParse(dto.Paths![i], out var path, out var pathError))
            {
                paths.Add(path);
            }
            else
            {
                errors.Add($"{label}: paths[{i}] = '{dto.Paths[i]}': {pathError}");
            }
        }

        if (paths.Count > 0 && dto.Feeds is { Count: > 0 })
        {
            errors.Add($"{label}: paths cannot be combined with feeds (a feed lists hosts, not URLs)");
        }

        var methods = new List<string>();
        for (var i = 0; i < (dto.Methods?.Count ?? 0); i++)
        {
            if (RuleMethods.Normalize(dto.Methods![i]) is { } method)
            {
                if (!methods.Contains(method))
                {
                    methods.Add(method);
                }
            }
            else
            {
                errors.Add($"{label}: methods[{i}] = '{dto.Methods[i]}': expected an HTTP method such as GET, POST or CONNECT");
            }
        }

        if (methods.Contains(RuleMethods.Connect) && methods.Count > 1)
        {
            errors.Add($"{label}: methods: CONNECT cannot be combined with other methods (CONNECT decides tunnels, the others decide requests): use two rules");
        }
        else if (methods.Contains(RuleMethods.Connect) && paths.Count > 0)
        {
            errors.Add($"{label}: methods: CONNECT cannot be combined with paths (a CONNECT has no path)");
        }
        else if (methods.Count > 0 && !methods.Contains(RuleMethods.Connect) && dto.Feeds is { Count: > 0 })
        {
            errors.Add($"{label}: methods cannot be combined with feeds (a feed lists hosts, not requests)");
        }

        var inspect = InspectMode.Default;
        if (dto.Inspect is not (null or "always" or "never"))
        {
            errors.Add($"{label}: inspect = '{dto.Inspect}': expected always or never");
        }
        else if (dto.Inspect == "never" && (dto.Paths is { Count: > 0 } || (methods.Count > 0 && !methods.Contains(RuleMethods.Connect))))
        {
            errors.Add($"{label}: inspect = 'never' with {(dto.Paths is { Count: > 0 } ? "paths" : "methods")}: rules decided per request need interception to see HTTPS requests");
        }
        else
        {
            inspect = dto.Inspect switch { "always" => InspectMode.Always, "never" => InspectMode.Never, _ => InspectMode.Default };
        }

        RuleUpstream.Validate(dto, label, isKnownParent, errors);

        if (dto.Expires is { } expires && expires <= now)
        {
            var message = $"{label}: expires = '{expires:u}' is in the past";
            if (rejectExpired)
            {
                errors.Add(message);
            }
            else
            {
                warnings.Add(message + "; the rule no longer matches");
            }
        }

        if (errors.Count > start)
        {
            return null;
        }

        var definition = dto.Clone();
        definition.Position = null;
        definition.Builtin = false;
        return new Rule
        {
            Id = dto.Id!,
            Kind = RuleKind.User,
            IsAllow = dto.Action == "allow",
            Mode = mode,
            Expires = dto.Expires,
            Names = nameCount > 0 ? names.Build() : null,
            Addresses = addressCount > 0 ? addresses.Build() : null,
            Ports = ports,
            Sources = sources,
            Users = dto.Users ?? [],
            Groups = dto.Groups ?? [],
            Feeds = dto.Feeds ?? [],
            Paths = paths,
            Methods = methods,
            Inspect = inspect,
            Definition = definition,
        };
    }

    /// <summary>Addresses, CIDRs and ranges start with a digit or contain ':'; names never contain ':'.</summary>
    private static bool LooksLikeAddress(string text) =>
        text.Contains(':') || (text.Length > 0 && char.IsAsciiDigit(text[0]) && (text.Contains('/') || text.Contains('-') || IpNetworkParser.TryParse(text, out _, out _, out _)));
}
