using System.Diagnostics;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// Bounded polling for what happens off the test's thread (a line written by a background writer,
/// a counter moved, a file watcher's reload): checks every few milliseconds, returns as soon as
/// the condition holds, and fails naming what never happened. Used where the program offers no
/// event to await; a fixed sleep would be either too short under load or needlessly long.
/// </summary>
public static class Eventually
{
    /// <summary>Generous on purpose: the test machine is shared and can be slow; success returns at once.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        ValueAsync(() => condition() ? Task.FromResult<object?>(true) : Task.FromResult<object?>(null), what, timeout);

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        ValueAsync(async () => await condition() ? (object?)true : null, what, timeout);

    /// <summary>Waits until <paramref name="probe"/> gives a value, and returns it.</summary>
    public static Task<T> ValueAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class =>
        ValueAsync(() => Task.FromResult(probe()), what, timeout);

    /// <summary>Waits until <paramref name="probe"/> gives a value, and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var limit = timeout ?? DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            // Probe once more after the last pause, so a slow pause never turns a success into a failure.
            if (await probe() is { } value)
            {
                return value;
            }

            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                throw new TimeoutException($"Not within {limit.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(Interval);
        }
    }

    /// <summary>
    /// Retries <paramref name="attempt"/> until it completes without throwing (a program still
    /// starting refuses connections); on time-out the last failure is the inner exception.
    /// </summary>
    public static async Task SucceedsAsync(Func<Task> attempt, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await attempt();
                return;
            }
            catch (Exception) when (Stopwatch.GetElapsedTime(started) <= limit)
            {
            }
            catch (Exception ex)
            {
                throw new TimeoutException($"Not within {limit.TotalSeconds:0.#} s: {what}", ex);
            }

            await Task.Delay(Interval);
        }
    }
}
