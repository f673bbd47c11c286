namespace EgressGuard.Identity;

/// <summary>
/// Checks a Basic credential against the credentials file:
/// 1. decode (any case of the scheme, whitespace ignored) — a header that does not decode is a failure, nothing hashed;
/// 2. a credential verified within <c>Auth:CacheTtl</c> is admitted without hashing;
/// 3. count the attempt against the address's throttle before hashing (none left: throttled, nothing hashed);
/// 4. hash through the <see cref="HashGate"/> — against the user's hash, or for a name that is not in
///    the file against a dummy of the same cost, so the time taken does not tell which names exist.
/// </summary>
internal sealed class BasicVerifier(ProxyUsers users, VerifiedCredentials cache, HashGate gate, FailureThrottle throttle, Func<string, string, bool> verify)
{
    public async ValueTask<Outcome> VerifyAsync(string header, string client, CancellationToken cancellationToken)
    {
        // 1. Decode.
        if (!BasicCredential.TryParse(header, out var credential))
        {
            return new Outcome(null, AdmissionResult.AuthenticationRequired, null);
        }

        // 2. Remembered.
        var snapshot = users.Current;
        var user = snapshot.Users.TryGetValue(credential.User, out var found) ? found : null;
        if (user is not null && cache.Contains(user, credential.Password))
        {
            return new Outcome(user, AdmissionResult.Admitted, null);
        }

        // 3. Counted before the slow part.
        if (throttle.TryBegin(client) is not { } ticket)
        {
            return new Outcome(null, AdmissionResult.Throttled, null);
        }

        // 4. Hash, off the request thread, within the cap.
        var stored = user?.Password ?? snapshot.DummyHash;
        var password = credential.Password;
        bool? matches;
        try
        {
            matches = await gate.RunAsync(() => verify(password, stored), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ticket.Abandon();
            throw;
        }

        if (matches is null)
        {
            ticket.Abandon();
            return new Outcome(null, AdmissionResult.Busy, null);
        }

        if (matches == true && user is not null)
        {
            cache.Add(user, password);
            return new Outcome(user, AdmissionResult.Admitted, ticket);
        }

        return new Outcome(null, AdmissionResult.AuthenticationRequired, ticket);
    }

    /// <summary>The user when admitted; else why not. <paramref name="Ticket"/>: the throttle count taken in step 3, to settle.</summary>
    internal readonly record struct Outcome(UserEntry? User, AdmissionResult Result, FailureWindow? Ticket);
}
