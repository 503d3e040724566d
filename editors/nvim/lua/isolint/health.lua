-- `:checkhealth isolint`: is the isolint server there to start, which version, and which
-- config file applies to the Rust file used last (or, without one, the working directory),
-- with its error if it has one. Needs this folder on 'runtimepath'.

local M = {}

-- lsp/isolint.lua's default, which it keeps inside its cmd function.
local DEFAULT_PROGRAM = { 'isolint' }
local INSTALL_HINT = 'pip install -e <path to the isolint repository> (Python >= 3.11)'
local TIMEOUT_MS = 20000

--- The command before `server` in the configured cmd: what runs the other subcommands.
--- nil and a reason when cmd is a function of the user's own.
local function program()
  local config = vim.lsp.config.isolint
  if not config then
    return nil, 'no isolint config: is editors/nvim on runtimepath (or lsp/isolint.lua copied)?'
  end
  local cmd = config.cmd
  if type(cmd) == 'function' then
    -- The shipped config's function runs DEFAULT_PROGRAM; a user's own function is opaque.
    local source = debug.getinfo(cmd, 'S').source
    if source:match('lsp[/\\]isolint%.lua$') then
      return DEFAULT_PROGRAM
    end
    return nil, 'cmd is a function of your own, so its program is unknown here'
  end
  local prefix = {}
  for _, part in ipairs(cmd) do
    if part == 'server' then
      break
    end
    table.insert(prefix, part)
  end
  return prefix
end

local function run(command)
  local ok, process = pcall(vim.system, command, { text = true })
  if not ok then
    return { code = -1, stdout = '', stderr = tostring(process) }
  end
  return process:wait(TIMEOUT_MS)
end

local function first_line(text)
  return vim.trim(text or ''):match('[^\n]*') or ''
end

--- The Rust file used last: :checkhealth runs in a buffer of its own, not the user's.
local function last_rust_file()
  local found, last_used = nil, -1
  for _, info in ipairs(vim.fn.getbufinfo({ bufloaded = 1 })) do
    if vim.bo[info.bufnr].filetype == 'rust' and vim.fn.filereadable(info.name) == 1 and info.lastused > last_used then
      found, last_used = info.name, info.lastused
    end
  end
  return found
end

function M.check()
  vim.health.start('isolint')
  local prefix, why = program()
  if not prefix then
    vim.health.warn(why)
    return
  end
  local executable = vim.fn.exepath(prefix[1])
  if executable == '' then
    vim.health.error(
      ('`%s` not found on PATH, so the server cannot start'):format(prefix[1]),
      { 'Install isolint: ' .. INSTALL_HINT, "or set cmd: vim.lsp.config('isolint', { cmd = { '/path/to/.venv/bin/isolint', 'server' } })" }
    )
    return
  end
  local command = vim.list_extend({ executable }, vim.list_slice(prefix, 2))
  vim.health.ok(('executable: %s'):format(table.concat(command, ' ')))

  local version = run(vim.list_extend(vim.deepcopy(command), { '--version' }))
  if version.code ~= 0 then
    vim.health.error(('`%s --version` failed: %s'):format(table.concat(command, ' '), first_line(version.stderr)), { 'Reinstall isolint: ' .. INSTALL_HINT })
    return
  end
  vim.health.ok('version: ' .. first_line(version.stdout))

  local target = last_rust_file() or vim.fn.getcwd()
  local shown = run(vim.list_extend(vim.deepcopy(command), { 'check', '--show-settings', '--format', 'json', target }))
  if shown.code ~= 0 then
    vim.health.error(('config for %s: %s'):format(target, first_line(shown.stderr)), { 'Fix the config file; `isolint check` reports the same error.' })
    return
  end
  local settings = vim.json.decode(shown.stdout)
  if settings.configFile == vim.NIL then
    vim.health.info(('config for %s: no config file, built-in defaults'):format(target))
  else
    local table_name = settings.table ~= vim.NIL and (' [' .. settings.table .. ']') or ''
    vim.health.ok(('config for %s: %s%s'):format(target, settings.configFile, table_name))
  end
  vim.health.info(('rules enabled: %s'):format(table.concat(settings.enabled, ' ')))

  if not vim.lsp.is_enabled('isolint') then
    vim.health.warn("the server is not enabled: add vim.lsp.enable('isolint') to your config")
  end
end

return M
