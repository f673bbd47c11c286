namespace EgressGuard.Policy;

/// <summary>A policy source holding one swappable snapshot.</summary>
internal sealed class PolicyHolder : IPolicySource
{
    private PolicySnapshot _current;

    public PolicyHolder(PolicySnapshot initial) => _current = initial;

    public PolicySnapshot Current => Volatile.Read(ref _current);

    public void Swap(PolicySnapshot next) => Volatile.Write(ref _current, next);
}
