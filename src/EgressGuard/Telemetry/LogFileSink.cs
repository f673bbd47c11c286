using EgressGuard.Files;

namespace EgressGuard.Telemetry;

/// <summary>
/// Where log lines go: standard output or an append-only file, with rotation by size
/// (<c>file → file.1 → … → file.N</c>), reopen on request (SIGHUP, for logrotate), and failure
/// handling that never touches the proxy: a full or read-only disk is reported once, lines are
/// dropped and counted, and the file is tried again every 30 s until it works.
/// </summary>
internal sealed partial class LogFileSink : IAsyncDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private readonly string? _path;
    private readonly long _maxBytes;
    private readonly int _keep;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly UnixFileMode _mode;
    private Stream? _stream;
    private long _length;
    private long _failedAt;
    private bool _failing;
    private volatile bool _reopen;

    /// <param name="mode">The mode a new file is created with (0600, or 0640 with <c>Log:GroupReadable</c>).</param>
    public LogFileSink(string? path, long maxBytes, int keep, TimeProvider time, ILogger logger, UnixFileMode mode = PrivateFile.OwnerOnly)
    {
        _mode = mode;
        _path = path;
        _maxBytes = maxBytes;
        _keep = Math.Max(keep, 1);
        _time = time;
        _logger = logger;
    }

    /// <summary>Lines dropped because the file could not be written.</summary>
    public long Dropped { get; private set; }

    /// <summary>Close and reopen the file before the next write (after an external rotation).</summary>
    public void RequestReopen() => _reopen = true;

    public async Task WriteAsync(ReadOnlyMemory<byte> batch, int lines)
    {
        if (_path is null)
        {
            _stream ??= Console.OpenStandardOutput();
            await _stream.WriteAsync(batch);
            await _stream.FlushAsync();
            return;
        }

        if (_reopen)
        {
            _reopen = false;
            await CloseAsync();
        }

        if (_failing && _time.GetElapsedTime(_failedAt) < RetryAfter)
        {
            Dropped += lines;
            return;
        }

        try
        {
            if (_maxBytes > 0 && _stream is not null && _length + batch.Length > _maxBytes)
            {
                await CloseAsync();
                Rotate();
            }

            if (_stream is null)
            {
                _stream = PrivateFile.Open(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, _mode, 1, FileOptions.Asynchronous);
                _length = _stream.Length;
            }

            await _stream.WriteAsync(batch);
            await _stream.FlushAsync();
            _length += batch.Length;
            if (_failing)
            {
                _failing = false;
                LogRecovered(_logger, _path, Dropped);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Dropped += lines;
            _failedAt = _time.GetTimestamp();
            if (!_failing)
            {
                // Once, not once per request: the proxy keeps serving.
                _failing = true;
                LogFailing(_logger, _path, ex.Message);
            }

            await CloseAsync();
        }
    }

    private void Rotate()
    {
        for (var i = _keep - 1; i >= 1; i--)
        {
            var from = $"{_path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_path}.{i + 1}", overwrite: true);
            }
        }

        if (File.Exists(_path))
        {
            File.Move(_path!, $"{_path}.1", overwrite: true);
        }
    }

    private async Task CloseAsync()
    {
        if (_stream is not null && _path is not null)
        {
            try
            {
                await _stream.DisposeAsync();
            }
            catch (IOException)
            {
            }

            _stream = null;
        }
    }

    public async ValueTask DisposeAsync() => await CloseAsync();

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Cannot write {Path}: {Error}. The proxy keeps serving; lines are dropped and counted until the file can be written again (retried every 30 s)")]
    private static partial void LogFailing(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Writing {Path} again; {Dropped} line(s) were dropped while it failed")]
    private static partial void LogRecovered(ILogger logger, string path, long dropped);
}
