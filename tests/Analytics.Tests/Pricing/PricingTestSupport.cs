using System.Collections.Concurrent;
using System.Numerics;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Pricing;

/// <summary>Paths, small builders and a capturing logger shared by the pricing specs.</summary>
internal static class PricingTestSupport
{
    /// <summary>
    /// A fixture file of the pricing specs (<c>Pricing/Fixtures</c>, copied next to the test binaries), so the specs need
    /// nothing outside this repository.
    /// </summary>
    public static string Fixture(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Pricing", "Fixtures", name);
        if (!File.Exists(path)) throw new FileNotFoundException($"pricing fixture missing from the test output: {path}", path);
        return path;
    }

    /// <summary>Our LiteLLM-format price file: LiteLLM's field names and layout, public list prices, tricky entries on purpose.</summary>
    public static string LiteLlmPrices => Fixture("litellm-prices.json");

    public static ModelPrice Price(long input, long output, long? cacheRead = null, long? cacheWrite = null, long? reasoning = null, string provider = "openai") =>
        new()
        {
            Provider = provider,
            InputMicrosPerMillion = input,
            OutputMicrosPerMillion = output,
            CacheReadMicrosPerMillion = cacheRead,
            CacheCreationMicrosPerMillion = cacheWrite,
            ReasoningMicrosPerMillion = reasoning,
        };

    /// <summary>
    /// USD per token as written in JSON to microdollars per million tokens, by digit arithmetic on the text
    /// (independent of the decimal type the library uses): mantissa digits x 10^(exponent + 12 - fraction digits).
    /// Returns null when the value is not a whole number of micros per million.
    /// </summary>
    public static BigInteger? ExactMicrosPerMillion(string text)
    {
        var e = text.IndexOfAny(['e', 'E']);
        var mantissa = e < 0 ? text : text[..e];
        var exponent = e < 0 ? 0 : int.Parse(text[(e + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.');
        var fractionDigits = dot < 0 ? 0 : mantissa.Length - dot - 1;
        var digits = BigInteger.Parse(mantissa.Replace(".", ""), System.Globalization.CultureInfo.InvariantCulture);
        var shift = exponent + 12 - fractionDigits;
        if (shift >= 0) return digits * BigInteger.Pow(10, shift);
        var divisor = BigInteger.Pow(10, -shift);
        return digits % divisor == 0 ? digits / divisor : null;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (file events arrive on their own schedule).</summary>
    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>A fresh folder under the temp directory, removed on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "analytics-pricing-" + Guid.NewGuid().ToString("N"));

        public TempFolder() => Directory.CreateDirectory(Path);

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a watcher may still hold the folder for a moment
            }
        }
    }
}

/// <summary>An <see cref="ILogger{T}"/> that keeps every entry, for asserting what was logged.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public int Count(LogLevel level, string contains)
    {
        var n = 0;
        foreach (var (l, m) in Entries)
        {
            if (l == level && m.Contains(contains, StringComparison.Ordinal)) n++;
        }
        return n;
    }
}
