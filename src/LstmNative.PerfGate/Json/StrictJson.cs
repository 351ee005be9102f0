using System.Text.Json;

namespace LstmNative.PerfGate.Json;

/// <summary>
/// Strict reading of the gate's JSON files (baselines, suite files): every problem becomes a <see cref="GateException"/>
/// naming the file and the JSON path ("perf/baseline.json: cases[2].samples: expected an array of numbers"), and
/// unknown properties are errors, so a misspelt key cannot be silently ignored.
/// </summary>
internal readonly struct StrictJson
{
    private readonly string _file;

    private StrictJson(string file, JsonElement element, string path)
    {
        _file = file;
        Element = element;
        Path = path;
    }

    /// <summary>The element.</summary>
    public JsonElement Element { get; }

    /// <summary>Where it is, for messages ("cases[2].name").</summary>
    public string Path { get; }

    /// <summary>Parses <paramref name="text"/>; the root must be an object.</summary>
    public static (JsonDocument Document, StrictJson Root) Parse(string file, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false, MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new GateException($"{file}: not valid JSON: {e.Message}", e);
        }
        var root = new StrictJson(file, document.RootElement, "");
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw root.Fail("expected a JSON object at the top level");
        }
        return (document, root);
    }

    /// <summary>An error about this element.</summary>
    public GateException Fail(string message) => new($"{_file}: {(Path.Length == 0 ? "" : Path + ": ")}{message}");

    /// <summary>Rejects properties other than <paramref name="allowed"/>.</summary>
    public void OnlyProperties(params string[] allowed)
    {
        foreach (var property in Element.EnumerateObject())
            if (!allowed.Contains(property.Name))
                throw Child(property.Name).Fail($"unknown property (expected one of: {string.Join(", ", allowed)})");
    }

    /// <summary>A required property.</summary>
    public StrictJson Required(string name) =>
        Element.TryGetProperty(name, out var value) ? new StrictJson(_file, value, Join(name)) : throw Fail($"missing property '{name}'");

    /// <summary>An optional property (null when absent or JSON null).</summary>
    public StrictJson? Optional(string name) =>
        Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? new StrictJson(_file, value, Join(name)) : null;

    /// <summary>The value as a non-empty string.</summary>
    public string String()
    {
        if (Element.ValueKind != JsonValueKind.String || Element.GetString() is not { Length: > 0 } s)
            throw Fail($"expected a non-empty string, got {Describe()}");
        return s;
    }

    /// <summary>The value as an integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(int min, int max)
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out int value))
            throw Fail($"expected an integer, got {Describe()}");
        if (value < min || value > max)
            throw Fail($"expected an integer between {min} and {max}, got {value}");
        return value;
    }

    /// <summary>The value as a finite number.</summary>
    public double Number()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetDouble(out double value) || !double.IsFinite(value))
            throw Fail($"expected a finite number, got {Describe()}");
        return value;
    }

    /// <summary>The value as an object.</summary>
    public StrictJson Object()
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Fail($"expected an object, got {Describe()}");
        return this;
    }

    /// <summary>The value as an array of elements.</summary>
    public IReadOnlyList<StrictJson> Array()
    {
        if (Element.ValueKind != JsonValueKind.Array)
            throw Fail($"expected an array, got {Describe()}");
        var items = new List<StrictJson>();
        int i = 0;
        foreach (var item in Element.EnumerateArray())
            items.Add(new StrictJson(_file, item, $"{Path}[{i++}]"));
        return items;
    }

    /// <summary>The value as an array of finite numbers.</summary>
    public double[] Numbers() => Array().Select(item => item.Number()).ToArray();

    private StrictJson Child(string name) => new(_file, default, Join(name));

    private string Join(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    private string Describe() => Element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(Element.GetString() ?? "")}\"",
        JsonValueKind.Number => $"the number {Element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => Element.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
