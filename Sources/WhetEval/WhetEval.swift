public enum WhetEval {}
