namespace EgressGuard.Rules;

/// <summary>Fleet mode: edits committed to the shared store first, and rules committed by other nodes adopted.</summary>
internal sealed partial class RulesStore
{
    /// <summary>Commits to the shared store; null when committed, else why not (no errors: lost a race, the newest rules adopted).</summary>
    private async Task<RulesChange?> CommitSharedAsync(IRulesReplica replica, long version, string content)
    {
        try
        {
            if (await replica.TryCommitAsync(version, content).ConfigureAwait(false))
            {
                return null;
            }

            if (await replica.LatestAsync().ConfigureAwait(false) is { } latest)
            {
                AdoptLocked(latest.Content, latest.Version, force: false);
            }

            return new RulesChange(false, null, [], []);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new RulesChange(false, null, [$"the shared rules store is unavailable ({ex.Message}); nothing was changed, try again when it is back"], []) { StoreUnavailable = true };
        }
    }

    /// <summary>
    /// Takes rules committed elsewhere (another node, through the shared store): validated, written
    /// to the local copy, swapped, <see cref="Changed"/> raised. Versions not newer than the current
    /// one are ignored unless <paramref name="force"/> (at start, the fleet's rules win). An invalid
    /// version (say, a feed this node lacks) keeps the last good rules and is logged.
    /// </summary>
    public async Task<bool> AdoptAsync(string content, long version, bool force = false)
    {
        await _edits.WaitAsync().ConfigureAwait(false);
        try
        {
            return AdoptLocked(content, version, force);
        }
        finally
        {
            _edits.Release();
        }
    }

    private bool AdoptLocked(string content, long version, bool force)
    {
        if (version < Current.Version || (version == Current.Version && (!force || RulesText.Hash(content) == _lastContentHash)))
        {
            return false;
        }

        var change = Compile(content, version);
        if (change.Rules is null)
        {
            LogReloadRefused(_logger, $"shared rules v{version}", change.Errors.Count, string.Join("; ", change.Errors));
            return false;
        }

        try
        {
            WriteLocalCopy(content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In force regardless: the local copy only serves a start while the store is down.
            LogLocalCopyFailed(_logger, _path, ex.Message);
        }

        Volatile.Write(ref _current, change.Rules);
        LogReloaded(_logger, $"shared rules", change.Rules.Version, change.Rules.Rules.Count);
        Changed?.Invoke(change.Rules);
        return true;
    }

    private void WriteLocalCopy(string content)
    {
        RulesFiles.WriteAtomic(_path, content);
        _lastContentHash = RulesText.Hash(content);
    }
}
