using System.Globalization;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Rules;

/// <summary>
/// Validates a rules document and compiles it. Every problem is collected and names the rule id
/// (or index) and the field: duplicate ids, bad CIDRs and names, bad wildcards, unknown feeds,
/// ports out of range, expiry in the past. Built-in entries missing from the document are added
/// at the end in their default order: lists → feeds → guard → default allow.
/// </summary>
internal static class RuleCompiler
{
    public const string ListsId = "lists";
    public const string FeedsId = "feeds";
    public const string GuardId = "guard";
    public const string DefaultId = "default";

    private static readonly string[] BuiltinOrder = [ListsId, FeedsId, GuardId, DefaultId];

    /// <summary>Accepts any feed name (for documents compiled without a feed configuration).</summary>
    public static readonly Func<string, bool> NoFeedCheck = _ => true;

    public sealed record Result(RuleSet? Set, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

    /// <param name="isKnownFeed">Whether a name in <c>feeds</c> is a configured feed or category.</param>
    /// <param name="now">For expiry: a rule that expired before <paramref name="now"/> is an error when <paramref name="rejectExpired"/>, else a warning.</param>
    public static Result Compile(RulesDocument document, Func<string, bool> isKnownFeed, DateTimeOffset now, bool rejectExpired = false, long version = 0)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var rules = new List<Rule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Rules.Count; i++)
        {
            var dto = document.Rules[i];
            var label = string.IsNullOrWhiteSpace(dto.Id) ? $"rules[{i}]" : $"rule '{dto.Id}'";
            if (string.IsNullOrWhiteSpace(dto.Id))
            {
                errors.Add($"{label}: id is required");
                continue;
            }

            if (!dto.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add($"{label}: id may contain only letters, digits, '-', '_' and '.'");
                continue;
            }

            if (!ids.Add(dto.Id))
            {
                errors.Add($"{label}: duplicate id");
                continue;
            }

            var rule = dto.Builtin || BuiltinOrder.Contains(dto.Id)
                ? CompileBuiltin(dto, label, errors)
                : CompileUser(dto, label, isKnownFeed, now, rejectExpired, errors, warnings);
            if (rule is not null)
            {
                rules.Add(rule);
            }
        }

        // Missing built-ins go at the end in their default order, before an explicit default.
        var explicitDefault = rules.FindIndex(r => r.Kind == RuleKind.Default);
        var insertAt = explicitDefault >= 0 ? explicitDefault : rules.Count;
        foreach (var id in BuiltinOrder.Where(id => !ids.Contains(id)))
        {
            var builtin = CompileBuiltin(new RuleDto { Id = id, Builtin = true, Action = id == DefaultId ? "allow" : null }, id, errors)!;
            if (id == DefaultId)
            {
                rules.Add(builtin);
            }
            else
            {
                rules.Insert(insertAt++, builtin);
            }
        }

        // inspect: never under a deny path rule: for what that rule allows, HTTPS requests are never
        // decrypted, so the path rule above it cannot see them. Legitimate (pinned apps), but say so.
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Inspect == InspectMode.Never && rules.Take(i).FirstOrDefault(r => r.HasPaths && !r.IsAllow) is { } above)
            {
                warnings.Add($"rule '{rules[i].Id}': inspect = 'never': HTTPS requests to what it allows are not decrypted, so path rule '{above.Id}' above it cannot see them (plain http:// still is)");
            }
        }

        // The default is the fallback: it must come last to mean anything.
        var defaultIndex = rules.FindIndex(r => r.Kind == RuleKind.Default);
        if (defaultIndex != rules.Count - 1)
        {
            errors.Add($"rule 'default': must be the last entry (found at position {defaultIndex})");
        }

        return new Result(errors.Count == 0 ? new RuleSet(rules, version) : null, errors, warnings);
    }

    private static Rule? CompileBuiltin(RuleDto dto, string label, List<string> errors)
    {
        var kind = dto.Id switch
        {
            ListsId => RuleKind.Lists,
            FeedsId => RuleKind.Feeds,
            GuardId => RuleKind.Guard,
            DefaultId => RuleKind.Default,
            _ => (RuleKind?)null,
        };
        if (kind is null)
        {
            errors.Add($"{label}: unknown built-in entry (expected one of {string.Join(", ", BuiltinOrder)})");
            return null;
        }

        if (dto.Destinations is { Count: > 0 } || dto.Ports is { Count: > 0 } || dto.Sources is { Count: > 0 } || dto.Feeds is { Count: > 0 }
            || dto.Users is { Count: > 0 } || dto.Groups is { Count: > 0 } || dto.Paths is { Count: > 0 } || dto.Inspect is not null)
        {
            errors.Add($"{label}: a built-in entry takes no matchers; add a rule of your own before or after it");
        }

        var isAllow = false;
        if (kind == RuleKind.Default)
        {
            if (dto.Action is not ("allow" or "deny"))
            {
                errors.Add($"{label}: action = '{dto.Action}': the default is allow or deny");
            }

            isAllow = dto.Action != "deny";
        }

        var definition = dto.Clone();
        definition.Builtin = true;
        definition.Action = kind == RuleKind.Default ? (isAllow ? "allow" : "deny") : "deny";
        definition.Position = null;
        return new Rule
        {
            Id = dto.Id!,
            Kind = kind.Value,
            IsAllow = isAllow,
            Definition = definition,
        };
    }

    private static Rule? CompileUser(RuleDto dto, string label, Func<string, bool> isKnownFeed, DateTimeOffset now, bool rejectExpired, List<string> errors, List<string> warnings)
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

        var names = new DomainSet.Builder();
        var addresses = new IpRangeIndex.Builder();
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
            if (TryParsePorts(dto.Ports![i], out var range))
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
            var builder = new IpRangeIndex.Builder();
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

        var inspect = InspectMode.Default;
        if (dto.Inspect is not (null or "always" or "never"))
        {
            errors.Add($"{label}: inspect = '{dto.Inspect}': expected always or never");
        }
        else if (dto.Inspect == "never" && dto.Paths is { Count: > 0 })
        {
            errors.Add($"{label}: inspect = 'never' with paths: path rules need interception to see HTTPS paths");
        }
        else
        {
            inspect = dto.Inspect switch { "always" => InspectMode.Always, "never" => InspectMode.Never, _ => InspectMode.Default };
        }

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
            Inspect = inspect,
            Definition = definition,
        };
    }

    /// <summary>Addresses, CIDRs and ranges start with a digit or contain ':'; names never contain ':'.</summary>
    private static bool LooksLikeAddress(string text) =>
        text.Contains(':') || (text.Length > 0 && char.IsAsciiDigit(text[0]) && (text.Contains('/') || text.Contains('-') || IpNetworkParser.TryParse(text, out _, out _, out _)));

    private static bool TryParsePorts(string? text, out PortRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var fromText = dash < 0 ? text : text[..dash];
        var toText = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(fromText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !int.TryParse(toText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || from is < 1 or > 65535 || to is < 1 or > 65535 || from > to)
        {
            return false;
        }

        range = new PortRange(from, to);
        return true;
    }
}
