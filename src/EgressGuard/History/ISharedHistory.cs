namespace EgressGuard.History;

/// <summary>The investigation history every node writes to and queries in fleet mode; implemented by the fleet.</summary>
internal interface ISharedHistory : IHistorySink, IHistoryQueries
{
}
