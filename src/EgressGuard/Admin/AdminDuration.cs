namespace EgressGuard.Admin;

/// <summary>The durations the admin API takes in queries and bodies (<c>since</c>, <c>duration</c>).</summary>
internal static class AdminDuration
{
    /// <summary><c>30m</c>, <c>4h</c>, <c>2d</c> or a TimeSpan (<c>01:30:00</c>); positive, at most a year.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length > 1 && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            duration = text[^1] switch
            {
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => default,
            };
        }

        if (duration == default && !TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration))
        {
            return false;
        }

        return duration > TimeSpan.Zero && duration <= TimeSpan.FromDays(366);
    }
}
