namespace EgressGuard.Alerts;

/// <summary>Checks <c>Alerts:*</c> at start, every problem named with its key.</summary>
internal static class AlertValidation
{
    public static void Validate(AlertOptions options, List<string> errors)
    {
        if (options.DedupWindow <= TimeSpan.Zero)
        {
            errors.Add($"Alerts:DedupWindow = '{options.DedupWindow}': must be positive, e.g. 00:10:00");
        }

        if (options.MaxAttempts is < 1 or > 20)
        {
            errors.Add($"Alerts:MaxAttempts = '{options.MaxAttempts}': between 1 and 20");
        }

        if (options.QueueCapacity < 1 || options.Keep < 0)
        {
            errors.Add($"Alerts:QueueCapacity = '{options.QueueCapacity}' must be at least 1 and Alerts:Keep = '{options.Keep}' not negative");
        }

        for (var i = 0; i < options.Webhooks.Count; i++)
        {
            var hook = options.Webhooks[i];
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"Alerts:Webhooks:{i}:Url = '{hook.Url}': expected an http(s) URL");
            }

            if (hook.Timeout <= TimeSpan.Zero)
            {
                errors.Add($"Alerts:Webhooks:{i}:Timeout = '{hook.Timeout}': must be positive");
            }
        }

        var syslog = options.Syslog;
        if (!string.IsNullOrEmpty(syslog.Address)
            && (!Uri.TryCreate(syslog.Address, UriKind.Absolute, out var address) || address.Scheme is not ("udp" or "tcp") || address.Port <= 0 || string.IsNullOrEmpty(address.Host)))
        {
            errors.Add($"Alerts:Syslog:Address = '{syslog.Address}': expected udp://host:port or tcp://host:port");
        }

        if (syslog.Facility is < 0 or > 23)
        {
            errors.Add($"Alerts:Syslog:Facility = '{syslog.Facility}': between 0 and 23 (16 = local0)");
        }
    }
}
