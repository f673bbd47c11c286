namespace EgressGuard.Forwarding;

/// <summary>Per-request forwarding state, carried as an HttpContext feature for the transformer.</summary>
internal sealed class ForwardState
{
    public required Policy.Decision Decision { get; init; }

    public required string HostHeader { get; init; }

    public Uri? Destination { get; set; }

    /// <summary>The <c>Via</c> entry to append upstream (<see cref="ViaHeader"/>); null when off.</summary>
    public string? Via { get; init; }
}
