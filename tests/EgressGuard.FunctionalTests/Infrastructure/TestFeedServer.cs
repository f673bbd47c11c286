using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>How the feed server answers the next requests.</summary>
public enum FeedServerMode
{
    Ok,
    ServerError,
    Truncated,
    Html,
    Hang,
}

/// <summary>
/// A real HTTP feed server (Kestrel on 127.0.0.1) that a test can turn bad: 500s, truncated
/// bodies, an HTML error page, a hang; with ETag / If-None-Match (304) support when healthy.
/// </summary>
public sealed class TestFeedServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestFeedServer(WebApplication app) => _app = app;

    public FeedServerMode Mode { get; set; } = FeedServerMode.Ok;

    public string Body { get; set; } = string.Empty;

    public int Requests => Volatile.Read(ref _requests);

    public int NotModifiedAnswers => Volatile.Read(ref _notModified);

    /// <summary>The <c>X-Api-Key</c> header of the last request, if any.</summary>
    public string? LastApiKey { get; private set; }

    public string Url { get; private set; } = string.Empty;

    private int _requests;
    private int _notModified;

    public static async Task<TestFeedServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestFeedServer(app);
        app.MapGet("/feed.txt", server.ServeAsync);
        await app.StartAsync();
        server.Url = app.Urls.First() + "/feed.txt";
        return server;
    }

    private async Task ServeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        LastApiKey = context.Request.Headers["X-Api-Key"].FirstOrDefault();
        var bytes = Encoding.UTF8.GetBytes(Body);
        var etag = $"\"{(uint)Body.GetHashCode(StringComparison.Ordinal):x8}\"";
        switch (Mode)
        {
            case FeedServerMode.ServerError:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("internal error");
                return;
            case FeedServerMode.Html:
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<!DOCTYPE html><html><body><h1>Please log in</h1></body></html>");
                return;
            case FeedServerMode.Hang:
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { });
                return;
            case FeedServerMode.Truncated:
                context.Response.ContentLength = bytes.Length + 1000;
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
        }

        if (context.Request.Headers.IfNoneMatch == etag)
        {
            Interlocked.Increment(ref _notModified);
            context.Response.StatusCode = 304;
            return;
        }

        context.Response.Headers.ETag = etag;
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
