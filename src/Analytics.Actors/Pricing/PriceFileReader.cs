using System.Globalization;
using System.Text.Json;
using Analytics.Contracts;

using Analytics.Actors.UsageLog;

namespace Analytics.Actors.Pricing;

/// <summary>The two price file formats <see cref="PriceFileReader"/> understands.</summary>
internal enum PriceFileFormat
{
    /// <summary>
    /// This library's own format: <c>{"format": "analytics-prices/1", "effective_date": "...", "models": {"name":
    /// {"provider", "input", "output", "cache_read", "cache_write", "reasoning"}}}</c>, integer microdollars per
    /// million tokens.
    /// </summary>
    Analytics,

    /// <summary>LiteLLM's <c>model_prices_and_context_window.json</c>: model names at the top level, USD per token.</summary>
    LiteLlm,
}

/// <summary>What <see cref="PriceFileReader.Read"/> found in a price file.</summary>
internal sealed record PriceFileContent
{
    /// <summary>The detected format.</summary>
    public required PriceFileFormat Format { get; init; }

    /// <summary>The prices.</summary>
    public required PriceTable Table { get; init; }

    /// <summary>LiteLLM entries left out because they have no per-token input and output price (images, audio, <c>sample_spec</c>, ...).</summary>
    public required int SkippedEntries { get; init; }

    /// <summary>
    /// LiteLLM prices that were not a whole number of microdollars per million tokens (finer than 1e-12 USD per
    /// token) and were rounded half to even, as <c>entry.field: raw</c>. Empty for every price a vendor publishes.
    /// </summary>
    public required IReadOnlyList<string> RoundedPrices { get; init; }
}

/// <summary>
/// Reads price files, detecting the format: a top-level <c>"format"</c> or <c>"models"</c> object means
/// <see cref="PriceFileFormat.Analytics"/>, anything else is read as <see cref="PriceFileFormat.LiteLlm"/>.
/// Every problem throws a <see cref="PriceFileException"/> naming the file, the entry and the field.
/// </summary>
internal static class PriceFileReader
{
    /// <summary>The value of the <c>format</c> field of this library's own files.</summary>
    public const string OwnFormatId = "analytics-prices/1";

    /// <summary>
    /// The largest price file read, in bytes (32 MiB; LiteLLM's full file is about 1.5 MB). A bigger one, or one that
    /// never ends (<c>/dev/zero</c>), is refused before it can take the memory.
    /// </summary>
    public const int MaxFileBytes = 32 * 1024 * 1024;

    private const decimal MicrosPerMillionPerUsdPerToken = 1_000_000_000_000m; // 1e6 micros per USD x 1e6 tokens

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly HashSet<string> OwnFields = new(StringComparer.Ordinal)
        { "provider", "input", "output", "cache_read", "cache_write", "reasoning", "note" };

    /// <summary>
    /// The text of the price file at <paramref name="path"/>, read with at most <see cref="MaxFileBytes"/> in memory
    /// (UTF-8, or the encoding its byte order mark names).
    /// </summary>
    /// <exception cref="PriceFileException">The file is larger than <see cref="MaxFileBytes"/>.</exception>
    /// <exception cref="IOException">The file cannot be read (the caller decides whether to try again).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static string ReadFileText(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var length = stream.CanSeek ? stream.Length : 0;
        if (length > MaxFileBytes) throw TooLarge(path, length);
        // A device or a pipe reports no length (0): read in growing steps, stopping one byte past the cap.
        var buffer = new byte[length > 0 ? length + 1 : 64 * 1024];
        var read = 0;
        while (true)
        {
            if (read == buffer.Length)
            {
                if (buffer.Length > MaxFileBytes) throw TooLarge(path, null);
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, MaxFileBytes + 1L));
            }
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0) break;
            read += n;
        }
        if (read > MaxFileBytes) throw TooLarge(path, null);
        using var reader = new StreamReader(new MemoryStream(buffer, 0, read), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static PriceFileException TooLarge(string path, long? length) => new(path, null, length is { } n
        ? string.Create(CultureInfo.InvariantCulture, $"is {n} bytes, more than the {MaxFileBytes} bytes a price file may have (is this the right file?)")
        : string.Create(CultureInfo.InvariantCulture, $"holds more than the {MaxFileBytes} bytes a price file may have (is this the right file?)"));

    /// <summary>Reads a price file's content in either format.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="sourceName">The file path, used in error messages.</param>
    /// <returns>The prices and what was skipped or rounded.</returns>
    /// <exception cref="PriceFileException">The file or one of its entries is malformed.</exception>
    public static PriceFileContent Read(string json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new PriceFileException(sourceName, null, $"not valid JSON ({e.Message})", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new PriceFileException(sourceName, null, $"expected a JSON object at the top level, got {Kind(root)}");
            var own = root.TryGetProperty("format", out _)
                || (root.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Object);
            return own ? ReadOwn(root, sourceName) : ReadLiteLlm(root, sourceName);
        }
    }

    /// <summary>
    /// Converts a LiteLLM price (USD per token, as written in the JSON text) to microdollars per million tokens,
    /// exactly: the text is parsed as a decimal and multiplied by 10^12, so <c>1.25e-06</c> is 1,250,000.
    /// A value finer than 10^-12 USD is rounded half to even and <paramref name="rounded"/> is set.
    /// </summary>
    /// <param name="text">The number as written (<c>2.5e-06</c>, <c>0.0000025</c>).</param>
    /// <param name="rounded">True when the value had to be rounded.</param>
    /// <param name="micros">The price in microdollars per million tokens.</param>
    /// <returns>Null on success, else what is wrong.</returns>
    public static string? TryConvertUsdPerToken(string text, out long micros, out bool rounded)
    {
        micros = 0;
        rounded = false;
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var usd))
            return $"must be a number of USD per token (got {Text.Shorten(text)})";
        if (usd < 0) return $"must be >= 0 (got {text})";
        decimal scaled;
        try
        {
            scaled = usd * MicrosPerMillionPerUsdPerToken;
        }
        catch (OverflowException)
        {
            return $"is too large (got {text})";
        }
        var whole = decimal.Round(scaled, 0, MidpointRounding.ToEven);
        if (whole > long.MaxValue) return $"is too large (got {text})";
        rounded = whole != scaled;
        micros = (long)whole;
        return null;
    }

    private static PriceFileContent ReadOwn(JsonElement root, string sourceName)
    {
        if (root.TryGetProperty("format", out var format) && (format.ValueKind != JsonValueKind.String || format.GetString() != OwnFormatId))
            throw new PriceFileException(sourceName, null, $"\"format\" must be \"{OwnFormatId}\" (got {Text.Shorten(format.GetRawText())})");
        if (!root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Object)
            throw new PriceFileException(sourceName, null, "no \"models\" object");
        string? date = null;
        if (root.TryGetProperty("effective_date", out var d))
        {
            if (d.ValueKind != JsonValueKind.String || !DateOnly.TryParseExact(d.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                throw new PriceFileException(sourceName, null, $"\"effective_date\" must be a date written yyyy-MM-dd (got {Text.Shorten(d.GetRawText())})");
            date = d.GetString();
        }

        var entries = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (var entry in models.EnumerateObject())
        {
            var name = entry.Name;
            var e = entry.Value;
            if (string.IsNullOrWhiteSpace(name)) throw new PriceFileException(sourceName, name, "the model name is empty");
            if (e.ValueKind != JsonValueKind.Object) throw new PriceFileException(sourceName, name, $"expected an object, got {Kind(e)}");
            foreach (var field in e.EnumerateObject())
            {
                if (!OwnFields.Contains(field.Name))
                    throw new PriceFileException(sourceName, name, $"unknown field \"{field.Name}\" (expected provider, input, output, cache_read, cache_write, reasoning)");
            }
            string provider;
            if (e.TryGetProperty("provider", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.GetString()))
                    throw new PriceFileException(sourceName, name, $"field \"provider\" must be a non-empty string (got {Text.Shorten(p.GetRawText())})");
                provider = ProviderInference.Canonical(p.GetString());
            }
            else
            {
                provider = ProviderInference.Infer(name);
            }
            entries[name] = new ModelPrice
            {
                Provider = provider,
                InputMicrosPerMillion = OwnRate(e, "input", sourceName, name) ?? throw new PriceFileException(sourceName, name, "field \"input\" is required"),
                OutputMicrosPerMillion = OwnRate(e, "output", sourceName, name) ?? throw new PriceFileException(sourceName, name, "field \"output\" is required"),
                CacheReadMicrosPerMillion = OwnRate(e, "cache_read", sourceName, name),
                CacheCreationMicrosPerMillion = OwnRate(e, "cache_write", sourceName, name),
                ReasoningMicrosPerMillion = OwnRate(e, "reasoning", sourceName, name),
            };
        }
        return new PriceFileContent { Format = PriceFileFormat.Analytics, Table = new PriceTable(entries, date), SkippedEntries = 0, RoundedPrices = [] };
    }

    private static long? OwnRate(JsonElement entry, string field, string sourceName, string model)
    {
        if (!entry.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var micros) || micros < 0)
            throw new PriceFileException(sourceName, model,
                $"field \"{field}\" must be a whole number >= 0 of microdollars per million tokens (got {Text.Shorten(v.GetRawText())})");
        return micros;
    }

    private static PriceFileContent ReadLiteLlm(JsonElement root, string sourceName)
    {
        var entries = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        var rounded = new List<string>();
        var skipped = 0;
        foreach (var entry in root.EnumerateObject())
        {
            var name = entry.Name;
            var e = entry.Value;
            // sample_spec documents the schema with placeholder values; it is not a model.
            if (name == "sample_spec" || string.IsNullOrWhiteSpace(name))
            {
                skipped++;
                continue;
            }
            if (e.ValueKind != JsonValueKind.Object) throw new PriceFileException(sourceName, name, $"expected an object, got {Kind(e)}");

            var input = LiteLlmRate(e, "input_cost_per_token", sourceName, name, rounded);
            var output = LiteLlmRate(e, "output_cost_per_token", sourceName, name, rounded);
            if (input is null || output is null)
            {
                skipped++; // priced per image, second, character or query: not a token model
                continue;
            }
            string? litellmProvider = null;
            if (e.TryGetProperty("litellm_provider", out var p) && p.ValueKind == JsonValueKind.String) litellmProvider = p.GetString();
            entries[name] = new ModelPrice
            {
                Provider = ProviderInference.FromLiteLlm(litellmProvider, name),
                InputMicrosPerMillion = input.Value,
                OutputMicrosPerMillion = output.Value,
                CacheReadMicrosPerMillion = LiteLlmRate(e, "cache_read_input_token_cost", sourceName, name, rounded),
                CacheCreationMicrosPerMillion = LiteLlmRate(e, "cache_creation_input_token_cost", sourceName, name, rounded),
                ReasoningMicrosPerMillion = LiteLlmRate(e, "output_cost_per_reasoning_token", sourceName, name, rounded),
            };
        }
        return new PriceFileContent { Format = PriceFileFormat.LiteLlm, Table = new PriceTable(entries), SkippedEntries = skipped, RoundedPrices = rounded };
    }

    private static long? LiteLlmRate(JsonElement entry, string field, string sourceName, string model, List<string> rounded)
    {
        if (!entry.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        // LiteLLM itself accepts numbers written as strings, so a file it loads loads here too.
        var text = v.ValueKind switch
        {
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.String => v.GetString()!.Trim(),
            _ => throw new PriceFileException(sourceName, model, $"field \"{field}\" must be a number of USD per token (got {Kind(v)})"),
        };
        var problem = TryConvertUsdPerToken(text, out var micros, out var wasRounded);
        if (problem is not null) throw new PriceFileException(sourceName, model, $"field \"{field}\" {problem}");
        if (wasRounded) rounded.Add($"{model}.{field}: {text}");
        return micros;
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

}
