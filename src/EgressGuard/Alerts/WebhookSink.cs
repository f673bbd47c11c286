using System.Net.Http.Headers;

namespace EgressGuard.Alerts;

/// <summary>
/// POSTs each alert as JSON to a configured URL, with its own HttpClient: the proxy's own calls never
/// borrow the dialer that serves clients. 2xx is delivered; 408, 429 and 5xx and network errors are
/// retried; any other status is a permanent failure (the receiver refuses it).
/// </summary>
internal sealed class WebhookSink : IAlertSink
{
    private readonly HttpClient _client;
    private readonly Uri _url;
    private readonly string? _secret;
    private readonly TimeProvider _time;

    public WebhookSink(WebhookOptions options, TimeProvider time)
    {
        _url = new Uri(options.Url);
        _secret = string.IsNullOrEmpty(options.Secret) ? null : options.Secret;
        _time = time;
        _client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = options.Timeout,
        };
        Name = $"webhook {_url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)}";
    }

    public string Name { get; }

    public async Task<DeliveryResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(AlertDto.From(alert));
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("X-EgressGuard-Event", "alert");
        request.Headers.TryAddWithoutValidation("X-EgressGuard-Delivery", alert.Id);
        if (_secret is not null)
        {
            var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Compute(_secret, timestamp, body));
        }

        try
        {
            using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => DeliveryResult.Ok,
                408 or 429 or >= 500 => DeliveryResult.Retry($"HTTP {status}"),
                _ => DeliveryResult.GiveUp($"HTTP {status} (not retried)"),
            };
        }
        catch (HttpRequestException ex)
        {
            return DeliveryResult.Retry(ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : ex.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Retry("timed out");
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
