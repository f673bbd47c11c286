namespace EgressGuard.Policy;

/// <summary>Hands out the policy snapshot in force; a reload swaps it without locks.</summary>
internal interface IPolicySource
{
    PolicySnapshot Current { get; }
}
