using System.Net.Http.Headers;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Files are read (size-capped) and reported unchanged when their write time has not moved; URLs
/// are fetched with If-None-Match / If-Modified-Since, a timeout and a size cap, on the proxy's
/// own client: never through the client-facing dialer, no cookies, at most 3 redirects, https
/// never downgraded to http.
/// </summary>
internal sealed class FeedFetcher : IFeedFetcher, IDisposable
{
    private readonly HttpClient _http;

    public FeedFetcher()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 3,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("EgressGuard-feed-fetcher/1.0");
    }

    public async Task<FetchResult> FetchAsync(FeedOptions feed, string baseDirectory, FetchValidators? validators, CancellationToken cancellationToken)
    {
        return feed.IsUrl
            ? await FetchUrlAsync(feed, validators, cancellationToken).ConfigureAwait(false)
            : await FetchFileAsync(feed, baseDirectory, validators, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<FetchResult> FetchFileAsync(FeedOptions feed, string baseDirectory, FetchValidators? validators, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(feed.Source, baseDirectory);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return FetchResult.Failure($"file not found: {path}");
            }

            var modified = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            if (validators?.LastModified == modified)
            {
                return new FetchResult(FetchStatus.NotModified, null, null, modified, null);
            }

            if (info.Length > feed.MaxBytes)
            {
                return FetchResult.Failure($"file is {info.Length} bytes, more than MaxBytes {feed.MaxBytes}");
            }

            var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            return new FetchResult(FetchStatus.Updated, text, null, modified, null);
        }
        catch (IOException ex)
        {
            return FetchResult.Failure($"reading {path}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            return FetchResult.Failure($"reading {path}: {ex.Message}");
        }
    }

    private async Task<FetchResult> FetchUrlAsync(FeedOptions feed, FetchValidators? validators, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(feed.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, feed.Source);
        foreach (var (name, value) in feed.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (validators?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var tag))
        {
            request.Headers.IfNoneMatch.Add(tag);
        }

        if (validators?.LastModified is { } since)
        {
            request.Headers.IfModifiedSince = since;
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new FetchResult(FetchStatus.NotModified, null, validators?.ETag, validators?.LastModified, null);
            }

            if (!response.IsSuccessStatusCode)
            {
                return FetchResult.Failure($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (request.RequestUri!.Scheme == Uri.UriSchemeHttps && response.RequestMessage?.RequestUri?.Scheme == Uri.UriSchemeHttp)
            {
                return FetchResult.Failure("redirected from https to http");
            }

            if (response.Content.Headers.ContentLength > feed.MaxBytes)
            {
                return FetchResult.Failure($"Content-Length {response.Content.Headers.ContentLength} exceeds MaxBytes {feed.MaxBytes}");
            }

            var text = await ReadCappedAsync(response.Content, feed.MaxBytes, timeout.Token).ConfigureAwait(false);
            if (text is null)
            {
                return FetchResult.Failure($"body exceeds MaxBytes {feed.MaxBytes}");
            }

            if (response.Content.Headers.ContentLength is { } length && Encoding.UTF8.GetByteCount(text) < length
                && response.Content.Headers.ContentEncoding.Count == 0)
            {
                return FetchResult.Failure($"truncated body: {Encoding.UTF8.GetByteCount(text)} of {length} bytes");
            }

            return new FetchResult(FetchStatus.Updated, text, response.Headers.ETag?.ToString(), response.Content.Headers.LastModified, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return FetchResult.Failure($"timed out after {feed.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return FetchResult.Failure(ex.Message);
        }
        catch (IOException ex)
        {
            // A connection cut mid-body: Content-Length promised more than arrived.
            return FetchResult.Failure($"truncated body: {ex.Message}");
        }
    }

    private static async Task<string?> ReadCappedAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public void Dispose() => _http.Dispose();
}
