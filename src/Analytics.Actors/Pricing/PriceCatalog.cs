using System.Diagnostics.CodeAnalysis;
using Analytics.Actors.Hosting;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Analytics.Actors.Pricing;

/// <summary>
/// The price catalog the analytics use by default: an immutable <see cref="PriceTable"/> snapshot built from the
/// embedded catalog, overlaid by <see cref="PricingOptions.File"/>, overlaid by <see cref="PricingOptions.Overrides"/>.
/// When the file changes the snapshot is rebuilt off to the side and swapped in with one volatile write, then
/// <see cref="Version"/> is incremented, so a reader that sees the new version also sees the new prices. A file that
/// no longer parses or was removed keeps the last good snapshot and logs why.
/// </summary>
internal sealed class PriceCatalog : IPriceCatalog, IDisposable
{
    private const int MaxReadRetries = 5;

    private readonly PriceTable _embedded;
    private readonly List<KeyValuePair<string, ModelPrice>> _overrides;
    private readonly string? _path;
    private readonly ILogger _log;
    private readonly TimeSpan _delay;
    private readonly object _reloadGate = new(); // serialises reloads only; readers never take it
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer? _debounce;
    private PriceTable _current;
    private long _version;
    private string? _lastText;
    private string? _lastError;
    private bool _missingReported;
    private int _readRetries;
    private bool _disposed;

    /// <summary>
    /// Builds the catalog and, when a file is set and <see cref="PricingOptions.ReloadOnChange"/> is on, starts
    /// watching it.
    /// </summary>
    /// <param name="options">The pricing settings.</param>
    /// <param name="logger">Where reloads and their failures are logged; null logs nothing.</param>
    /// <param name="time">Clock of the reload delay; null uses the system clock.</param>
    /// <param name="embedded">The bottom layer; null uses <see cref="PriceTable.Embedded"/>.</param>
    /// <exception cref="OptionsValidationException">The settings are invalid (for example the file does not exist).</exception>
    /// <exception cref="PriceFileException">The file cannot be read or parsed; the message names the file and the entry.</exception>
    public PriceCatalog(PricingOptions options, ILogger<PriceCatalog>? logger = null, TimeProvider? time = null, PriceTable? embedded = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new OptionErrors(AnalyticsOptions.SectionName);
        PricingOptions.Validate(options, errors.Section("Pricing"));
        if (errors.Failures.Count > 0) throw new OptionsValidationException(AnalyticsOptions.SectionName, typeof(AnalyticsOptions), errors.Failures);

        _embedded = embedded ?? PriceTable.Embedded;
        _overrides = options.OverrideEntries();
        _log = logger ?? (ILogger)NullLogger.Instance;
        _delay = options.ReloadDelay;
        if (options.File is null)
        {
            _current = Compose(null);
            return;
        }

        _path = Path.GetFullPath(options.File);
        string text;
        try
        {
            text = PriceFileReader.ReadFileText(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PriceFileException(_path, null, $"cannot be read ({e.Message})", e);
        }
        var content = PriceFileReader.Read(text, _path);
        _current = Compose(content.Table);
        _lastText = text;
        LogLoaded(content, "Loaded");

        if (!options.ReloadOnChange) return;
        _debounce = (time ?? TimeProvider.System).CreateTimer(_ => ReloadFromTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            // The whole folder is watched, not just the file: Kubernetes mounts a ConfigMap file as a link through
            // "..data", which it swaps to update, so the file itself never reports a change.
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!)
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.Error += OnWatcherError;
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // Running out of inotify instances must not stop the analytics: the prices just stop following the file.
            _watcher?.Dispose();
            _watcher = null;
            _log.LogWarning(e, "Cannot watch the price file {File}: its changes will not be reloaded ({Reason}).", _path, e.Message);
        }
    }

    /// <summary>The prices in force.</summary>
    public PriceTable Current => Volatile.Read(ref _current);

    /// <inheritdoc />
    public long Version => Volatile.Read(ref _version);

    /// <summary>The full path of the price file, or null when none is configured.</summary>
    public string? FilePath => _path;

    /// <summary>Why the last reload was refused (the file's error), or null when the file in force is the file on disk.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <inheritdoc />
    public bool TryGetPrice(string model, [NotNullWhen(true)] out ModelPrice? price) => Current.TryGetPrice(model, out price);

    /// <summary>
    /// Reads the price file now and swaps in its prices when they parse and differ from the file last read. Called by the
    /// file watcher; public so an operator hook (a signal, an admin endpoint) can force a reload.
    /// </summary>
    /// <returns>True when new prices were swapped in.</returns>
    public bool Reload()
    {
        if (_path is null) return false;
        lock (_reloadGate)
        {
            if (_disposed) return false;
            if (!System.IO.File.Exists(_path))
            {
                if (!_missingReported)
                    _log.LogWarning("Price file {File} was removed; keeping the last good prices (version {Version}) until it is back.", _path, Version);
                _missingReported = true;
                return false;
            }

            string text;
            try
            {
                text = PriceFileReader.ReadFileText(_path);
            }
            catch (PriceFileException e)
            {
                // Too large: like a file that does not parse, it never replaces the prices in force.
                Volatile.Write(ref _lastError, e.Message);
                _log.LogError("{Error}. Keeping the previous prices (version {Version}).", e.Message, Version);
                return false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A writer may still hold the file: look again after the delay, a few times.
                if (++_readRetries <= MaxReadRetries) Schedule(_delay > TimeSpan.FromMilliseconds(100) ? _delay : TimeSpan.FromMilliseconds(100));
                else _log.LogError(e, "Price file {File} cannot be read ({Reason}); keeping the previous prices (version {Version}).", _path, e.Message, Version);
                return false;
            }
            _readRetries = 0;
            _missingReported = false;
            if (text == _lastText) return false; // touched, or written again with the same content
            _lastText = text;

            PriceFileContent content;
            try
            {
                content = PriceFileReader.Read(text, _path);
            }
            catch (PriceFileException e)
            {
                Volatile.Write(ref _lastError, e.Message);
                _log.LogError("{Error}. Keeping the previous prices (version {Version}); fix the file and save it again.", e.Message, Version);
                return false;
            }

            Volatile.Write(ref _current, Compose(content.Table));
            Interlocked.Increment(ref _version); // after the write: a reader seeing this version sees these prices
            Volatile.Write(ref _lastError, null);
            LogLoaded(content, "Reloaded");
            return true;
        }
    }

    /// <summary>Stops watching the file.</summary>
    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _watcher?.Dispose();
        _debounce?.Dispose();
    }

    private PriceTable Compose(PriceTable? file)
    {
        var table = file is null ? _embedded : _embedded.WithOverlay(file.Entries, file.EffectiveDate);
        return _overrides.Count == 0 ? table : table.WithOverlay(_overrides);
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (Concerns(e.Name) || (e is RenamedEventArgs r && Concerns(r.OldName))) Schedule(_delay);
    }

    private bool Concerns(string? name) =>
        name is not null && (string.Equals(name, Path.GetFileName(_path), StringComparison.Ordinal) || name.StartsWith("..", StringComparison.Ordinal));

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        _log.LogWarning(e.GetException(), "Watching the price file {File} failed; checking it now.", _path);
        Schedule(_delay);
    }

    // (Re)starts the quiet period; the last event of a burst wins. Events can still arrive while disposing.
    private void Schedule(TimeSpan delay)
    {
        try
        {
            _debounce?.Change(delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // disposed: nothing left to reload
        }
    }

    private void ReloadFromTimer()
    {
        try
        {
            Reload();
        }
        catch (Exception e)
        {
            // A timer callback that throws takes the process down; a price reload must never do that.
            _log.LogError(e, "Reloading the price file {File} failed; keeping the previous prices (version {Version}).", _path, Version);
        }
    }

    private void LogLoaded(PriceFileContent content, string verb)
    {
        _log.LogInformation("{Verb} {Count} model prices ({Format} format, {Skipped} entries without token prices skipped) from {File}; catalog version {Version}.",
            verb, content.Table.Count, content.Format, content.SkippedEntries, _path, Version);
        if (content.RoundedPrices.Count > 0)
            _log.LogWarning("{Count} prices in {File} are finer than 1e-12 USD per token and were rounded half to even, for example {Example}.",
                content.RoundedPrices.Count, _path, content.RoundedPrices[0]);
    }
}
