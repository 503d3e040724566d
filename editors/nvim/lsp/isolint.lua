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
--
-- `:checkhealth isolint` (lua/isolint/health.lua, with this folder on 'runtimepath') says
-- which isolint is found, its version, and the config file in effect.

-- `isolint` from PATH, installed from a clone of the isolint repository with
-- `pip install -e <path to the isolint repository>` (Python >= 3.11). To run another one,
-- set cmd yourself, e.g. { '/path/to/.venv/bin/isolint', 'server' } or
-- { '/path/to/.venv/bin/python', '-m', 'isolint', 'server' }.
local DEFAULT_CMD = { 'isolint', 'server' }
local INSTALL_HINT = 'pip install -e <path to the isolint repository> (Python >= 3.11)'

---@type vim.lsp.Config
return {
  -- A function rather than the table itself: with a table whose program is missing, Neovim
  -- only writes "isolint is not executable" to its LSP log and starts nothing, silently.
  -- Raising here shows the message when a Rust file opens.
  cmd = function(dispatchers, config)
    if vim.fn.executable(DEFAULT_CMD[1]) == 0 then
      error(
        ('isolint: `%s` is not on PATH, so the isolint language server did not start. Install it: %s, '
          .. "or point cmd at one: vim.lsp.config('isolint', { cmd = { '/path/to/.venv/bin/isolint', 'server' } }). "
          .. 'See :checkhealth isolint.'):format(DEFAULT_CMD[1], INSTALL_HINT),
        0
      )
    end
    return vim.lsp.rpc.start(DEFAULT_CMD, dispatchers, {
      cwd = config.cmd_cwd,
      env = config.cmd_env,
      detached = config.detached,
    })
  end,
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
