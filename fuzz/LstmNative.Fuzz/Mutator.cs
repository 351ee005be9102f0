using System.Text;

namespace LstmNative.Fuzz;

/// <summary>
/// A small deterministic mutator for the CI smoke run (no coverage feedback: AFL and libFuzzer do the real search).
/// Mixes the classic byte-level mutations with ones aimed at the formats' weak spots: length fields, numbers in
/// text headers, truncation and duplicated regions.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)'"', (byte)',', (byte)'-', (byte)'9'];
    private static readonly string[] Numbers = ["0", "-1", "1", "2147483647", "2147483648", "4294967296", "9223372036854775807", "1e309", "1.5", "[]", "\"x\"", "null"];
    private readonly Random _rng = new(seed);

    public byte[] Mutate(byte[] input)
    {
        var data = new List<byte>(input);
        int rounds = 1 + _rng.Next(4);
        for (int r = 0; r < rounds; r++)
            Apply(data);
        return data.ToArray();
    }

    private void Apply(List<byte> data)
    {
        int Pos() => data.Count == 0 ? 0 : _rng.Next(data.Count);
        switch (_rng.Next(9))
        {
            case 0 when data.Count > 0:
                data[Pos()] ^= (byte)(1 << _rng.Next(8));
                break;
            case 1 when data.Count > 0:
                data[Pos()] = Interesting[_rng.Next(Interesting.Length)];
                break;
            case 2 when data.Count > 0:
                int at = Pos();
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + _rng.Next(16)));
                break;
            case 3:
                var insert = new byte[1 + _rng.Next(16)];
                _rng.NextBytes(insert);
                data.InsertRange(Pos(), insert);
                break;
            case 4 when data.Count > 0:
                int cut = _rng.Next(data.Count);
                data.RemoveRange(cut, data.Count - cut); // truncation
                break;
            case 5 when data.Count > 8:
                // A little-endian length or count field set to an extreme value.
                int field = _rng.Next(Math.Min(data.Count - 8, 64));
                ulong value = _rng.Next(4) switch { 0 => 0, 1 => ulong.MaxValue, 2 => (ulong)_rng.Next(), _ => (ulong)data.Count };
                for (int k = 0; k < 8; k++)
                    data[field + k] = (byte)(value >> (8 * k));
                break;
            case 6 when data.Count > 0:
                // Duplicate a region (repeated fields, overlapping offsets).
                int start = Pos(), length = Math.Min(data.Count - start, 1 + _rng.Next(32));
                data.InsertRange(Pos(), data.GetRange(start, length));
                break;
            case 7:
                ReplaceNumber(data);
                break;
            default:
                if (data.Count > 0)
                    data[Pos()] = (byte)_rng.Next(256);
                break;
        }
    }

    /// <summary>Replaces one run of ASCII digits (a shape, an offset, a header length) with an awkward value.</summary>
    private void ReplaceNumber(List<byte> data)
    {
        var starts = new List<int>();
        for (int i = 0; i < data.Count; i++)
            if (char.IsAsciiDigit((char)data[i]) && (i == 0 || !char.IsAsciiDigit((char)data[i - 1])))
                starts.Add(i);
        if (starts.Count == 0)
            return;
        int s = starts[_rng.Next(starts.Count)], e = s;
        while (e < data.Count && char.IsAsciiDigit((char)data[e]))
            e++;
        data.RemoveRange(s, e - s);
        data.InsertRange(s, Encoding.ASCII.GetBytes(Numbers[_rng.Next(Numbers.Length)]));
    }
}
