using System.Globalization;
using System.Text;

namespace LstmNative.Formats;

/// <summary>
/// A parser for the subset of Python literals an NPY header uses (<c>ast.literal_eval</c> of a dict):
/// strings, <c>True</c>/<c>False</c>/<c>None</c>, integers, tuples, lists and dicts.
/// Parsing properly (rather than pattern-matching the text numpy happens to write) accepts every header
/// a conforming writer can produce and rejects everything else with a position.
/// </summary>
internal sealed class PyLiteral
{
    /// <summary>A parsed tuple.</summary>
    public sealed record Tuple(IReadOnlyList<object?> Items);

    /// <summary>A parsed list.</summary>
    public sealed record List(IReadOnlyList<object?> Items);

    /// <summary>A parsed dict, keys in file order.</summary>
    public sealed record Dict(IReadOnlyList<KeyValuePair<object?, object?>> Items);

    private readonly string _text;
    private readonly bool _allowLongSuffix;
    private int _pos;

    private PyLiteral(string text, bool allowLongSuffix)
    {
        _text = text;
        _allowLongSuffix = allowLongSuffix;
    }

    /// <summary>
    /// Parses <paramref name="text"/> as one literal followed only by whitespace.
    /// Values come back as string, bool, long, null (None), <see cref="Tuple"/>, <see cref="List"/> or <see cref="Dict"/>.
    /// </summary>
    /// <param name="text">The literal.</param>
    /// <param name="allowLongSuffix">Accept Python 2's <c>3L</c> integers (NPY 1.0 files written by Python 2).</param>
    /// <exception cref="FormatException">The text is not such a literal; the message gives the offset.</exception>
    public static object? Parse(string text, bool allowLongSuffix)
    {
        var p = new PyLiteral(text, allowLongSuffix);
        p.SkipSpace();
        object? value = p.ParseValue(0);
        p.SkipSpace();
        if (p._pos != text.Length)
            throw p.Error("unexpected text after the literal");
        return value;
    }

    /// <summary>Python's repr-like description of a parsed value's type, for messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{s}'",
        bool b => b ? "True" : "False",
        long l => $"the integer {l}",
        Tuple => "a tuple",
        List => "a list",
        Dict => "a dict",
        _ => value.GetType().Name,
    };

    private object? ParseValue(int depth)
    {
        // Real headers nest at most two levels (a structured descr); the bound keeps hostile input off the call stack.
        if (depth > 32)
            throw Error("literal nested too deeply");
        if (_pos >= _text.Length)
            throw Error("unexpected end of text, expected a value");
        char c = _text[_pos];
        switch (c)
        {
            case '\'':
            case '"':
                return ParseString();
            case '(':
                return ParseSequence(')', depth, isTuple: true);
            case '[':
                return ParseSequence(']', depth, isTuple: false);
            case '{':
                return ParseDict(depth);
            case '-':
            case '+':
                return ParseInteger();
        }
        if (char.IsAsciiDigit(c))
            return ParseInteger();
        if (char.IsAsciiLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
                _pos++;
            string word = _text[start.._pos];
            return word switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw Error($"unexpected name '{word}', expected a literal", start),
            };
        }
        throw Error($"unexpected character '{c}'");
    }

    private string ParseString()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
                throw Error("unterminated string");
            char c = _text[_pos++];
            if (c == quote)
                return sb.ToString();
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_pos >= _text.Length)
                throw Error("unterminated string");
            char e = _text[_pos++];
            sb.Append(e switch
            {
                '\\' => '\\',
                '\'' => '\'',
                '"' => '"',
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                _ => throw Error($"unsupported escape '\\{e}' in string", _pos - 2),
            });
        }
    }

    private long ParseInteger()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+')
            _pos++;
        int digits = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            _pos++;
        if (_pos == digits)
            throw Error("expected digits", start);
        if (!long.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Error($"integer {_text[start.._pos]} is out of range", start);
        if (_allowLongSuffix && _pos < _text.Length && _text[_pos] is 'L' or 'l')
            _pos++;
        return value;
    }

    private object ParseSequence(char close, int depth, bool isTuple)
    {
        _pos++;
        var items = new List<object?>();
        bool sawComma = false;
        SkipSpace();
        while (true)
        {
            if (_pos >= _text.Length)
                throw Error($"unexpected end of text, expected '{close}'");
            if (_text[_pos] == close)
            {
                _pos++;
                break;
            }
            if (items.Count > 0 && !sawComma)
                throw Error($"expected ',' or '{close}'");
            items.Add(ParseValue(depth + 1));
            SkipSpace();
            sawComma = _pos < _text.Length && _text[_pos] == ',';
            if (sawComma)
            {
                _pos++;
                SkipSpace();
            }
        }
        if (!isTuple)
            return new List(items);
        // Python: "(3)" is the integer 3, "(3,)" a one-element tuple, "()" the empty tuple.
        if (items.Count == 1 && !sawComma)
            return items[0]!;
        return new Tuple(items);
    }

    private Dict ParseDict(int depth)
    {
        _pos++;
        var items = new List<KeyValuePair<object?, object?>>();
        bool sawComma = false;
        SkipSpace();
        while (true)
        {
            if (_pos >= _text.Length)
                throw Error("unexpected end of text, expected '}'");
            if (_text[_pos] == '}')
            {
                _pos++;
                return new Dict(items);
            }
            if (items.Count > 0 && !sawComma)
                throw Error("expected ',' or '}'");
            object? key = ParseValue(depth + 1);
            SkipSpace();
            if (_pos >= _text.Length || _text[_pos] != ':')
                throw Error("expected ':' after a dict key");
            _pos++;
            SkipSpace();
            object? value = ParseValue(depth + 1);
            items.Add(new(key, value));
            SkipSpace();
            sawComma = _pos < _text.Length && _text[_pos] == ',';
            if (sawComma)
            {
                _pos++;
                SkipSpace();
            }
        }
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
            _pos++;
    }

    private FormatException Error(string what) => Error(what, _pos);

    private static FormatException Error(string what, int at) => new($"{what} at offset {at}");
}
