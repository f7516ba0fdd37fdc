import Foundation

/// Byte counts in words and back: "12.4 MB" for people, "20GB" / "512MiB" from settings.
public enum ByteCountText {
    /// Decimal units by default (as `--output-max-size 20GB` means 20·10⁹), binary (KiB, MiB) on request.
    public static func format(_ bytes: Int64, binary: Bool = false) -> String {
        let base = binary ? 1024.0 : 1000.0
        let units = binary ? ["bytes", "KiB", "MiB", "GiB", "TiB"] : ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while abs(value) >= base && unit < units.count - 1 { value /= base; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    /// Parses "20GB", "1.5 GiB", "500M", "4096": decimal K/M/G/T(B), binary KiB/MiB/GiB/TiB, plain bytes.
    /// Returns nil for anything else (the caller says what it expected).
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        guard let number = Double(trimmed[..<numberEnd]), number >= 0, number.isFinite else { return nil }
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let value = number * multiplier
        guard value < 9e18 else { return nil }
        return Int64(value.rounded())
    }
}
