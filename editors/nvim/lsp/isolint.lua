-- isolint language server for Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable).
--
-- Put this file on 'runtimepath' as lsp/isolint.lua (for example
-- ~/.config/nvim/lsp/isolint.lua), then in init.lua:
--
--   vim.lsp.enable('isolint')
--
-- and, to change settings, merge your own table over these defaults:
--
--   vim.lsp.config('isolint', { settings = { isolint = { select = { 'ISO1' } } } })

---@type vim.lsp.Config
return {
  -- `isolint` must be on PATH (pip install isolint); to run it from a given Python
  -- environment use { '/path/to/python', '-m', 'isolint', 'server' } instead.
  cmd = { 'isolint', 'server' },
  filetypes = { 'rust' },
  -- The nearest isolint.toml wins over Cargo.toml so that a workspace member with its own
  -- config is linted with it; .git is the last resort for loose files.
  root_markers = { 'isolint.toml', '.isolint.toml', 'Cargo.toml', '.git' },
  -- Served to the server's workspace/configuration requests (section "isolint") and, through
  -- before_init below, as initializationOptions so the first diagnostics already use them.
  -- Unset keys fall back to the server's defaults and the project's isolint.toml.
  settings = {
    isolint = {},
  },
  before_init = function(params, config)
    params.initializationOptions = vim.tbl_get(config, 'settings', 'isolint') or {}
  end,
}
