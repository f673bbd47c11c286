namespace EgressGuard.Hosting;

/// <summary>
/// Binds each configured listen address once, before the host starts, so that a busy or
/// forbidden port stops the start with one line naming the key, not in the middle of Kestrel's
/// start with a stack trace. The listeners themselves report a failure the same way (a port
/// taken between this check and the real bind).
/// </summary>
internal static class ListenerPreflight
{
    /// <summary>Throws <see cref="ListenerBindException"/> for one failure, <see cref="ConfigurationErrorsException"/> listing them all for several.</summary>
    public static void Check(EgressGuardSettings settings)
    {
        var errors = new List<ListenerBindException>();
        foreach (var listener in settings.Listeners)
        {
            Try(listener.Key, listener.Endpoint, errors);
        }

        if (settings.AdminEndpoint is { } admin)
        {
            Try("Admin:Listen", admin, errors);
        }

        if (errors.Count == 1)
        {
            throw errors[0];
        }

        if (errors.Count > 1)
        {
            throw new ConfigurationErrorsException(errors.Select(e => e.Message).ToList());
        }
    }

    private static void Try(string key, IPEndPoint endpoint, List<ListenerBindException> errors)
    {
        if (endpoint.Port == 0)
        {
            return; // any free port: nothing to collide with
        }

        try
        {
            using var probe = Proxy.ListenSocket.Bind(key, endpoint);
        }
        catch (ListenerBindException ex)
        {
            errors.Add(ex);
        }
    }
}
