/// The one place thymis-tasks' version is written: `--version`, reports and the engine log read it.
public enum ThymisTasksVersion {
    public static let current = "0.1.0"
}
