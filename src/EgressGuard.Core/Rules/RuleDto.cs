using System.Text.Json.Serialization;

namespace EgressGuard.Rules;

/// <summary>
/// One rule as written in <c>rules.json</c> and exchanged by the admin API. Built-in entries
/// (<c>lists</c>, <c>feeds</c>, <c>guard</c>, <c>default</c>) appear with <c>"builtin": true</c>
/// so that an admin can see and move them.
/// </summary>
internal sealed class RuleDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("builtin")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Builtin { get; set; }

    /// <summary><c>allow</c> or <c>deny</c>.</summary>
    [JsonPropertyName("action")]
    public string? Action { get; set; }

    /// <summary>CIDRs, addresses, ranges, or names (<c>example.com</c>, <c>*.example.com</c>, <c>.example.com</c>).</summary>
    [JsonPropertyName("destinations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Destinations { get; set; }

    /// <summary>Ports or ranges: <c>"443"</c>, <c>"8000-8100"</c>.</summary>
    [JsonPropertyName("ports")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Ports { get; set; }

    /// <summary>Client CIDRs the rule applies to.</summary>
    [JsonPropertyName("sources")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Sources { get; set; }

    [JsonPropertyName("users")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Users { get; set; }

    [JsonPropertyName("groups")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Groups { get; set; }

    /// <summary>Feed names or categories: the rule matches an address or name those feeds list.</summary>
    [JsonPropertyName("feeds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Feeds { get; set; }

    /// <summary>
    /// URL paths (<c>/upload/*</c>; <c>*</c> matches anything, <c>/</c> included; case-insensitive)
    /// the rule is limited to. A rule with paths is decided per request: on plain <c>http://</c>
    /// requests and on requests inside intercepted HTTPS tunnels; it never decides a CONNECT.
    /// </summary>
    [JsonPropertyName("paths")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Paths { get; set; }

    /// <summary>
    /// HTTP methods the rule is limited to (<c>GET</c>, <c>POST</c>…, case-insensitive). <c>CONNECT</c>
    /// makes a rule about tunnels: it decides CONNECTs only, and an allow lets a tunnel through blind
    /// even where path rules apply. Other methods are decided per request, like paths.
    /// </summary>
    [JsonPropertyName("methods")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Methods { get; set; }

    /// <summary>
    /// TLS interception for the tunnels this rule decides: <c>always</c> or <c>never</c>; unset
    /// follows <c>Tls:Intercept:Mode</c>.
    /// </summary>
    [JsonPropertyName("inspect")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Inspect { get; set; }

    /// <summary>
    /// Who carries what this allow rule lets through: <c>direct</c>, or the name of a parent under
    /// <c>Upstream:Parents</c>; unset takes the default route (<c>Upstream:Proxy</c> unless
    /// <c>Upstream:Direct</c> lists the destination). The rule's choice wins over <c>Upstream:Direct</c>.
    /// </summary>
    [JsonPropertyName("upstream")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Upstream { get; set; }

    /// <summary><c>enforce</c> (default) or <c>report</c>.</summary>
    [JsonPropertyName("mode")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Mode { get; set; }

    [JsonPropertyName("expires")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Expires { get; set; }

    /// <summary>A deny by this rule raises a security alert (as threat-feed denies do).</summary>
    [JsonPropertyName("alert")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Alert { get; set; }

    [JsonPropertyName("comment")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Comment { get; set; }

    [JsonPropertyName("ticket")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Ticket { get; set; }

    [JsonPropertyName("createdBy")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CreatedBy { get; set; }

    [JsonPropertyName("createdAt")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>API only: index to insert at (0 = first). Not stored.</summary>
    [JsonPropertyName("position")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Position { get; set; }

    public RuleDto Clone() => (RuleDto)MemberwiseClone();
}
