// Netlify build plugin: keep digestgen's build cache and the last output between builds, so a
// build on a fresh clone renders only what changed (see README, "Builds in CI").
//
// Before the build, both folders are restored (Netlify's cache utility does nothing for a
// folder already there or never saved). After a successful build, both are saved, by
// production builds only: a deploy preview builds another address and drafts.
'use strict'

const path = require('path')

// The folders to keep: the output folder (Netlify's publish folder) and the cache beside it.
function folders (constants, inputs) {
  const output = path.resolve(constants.PUBLISH_DIR)
  const cache = path.join(path.dirname(output), inputs.cache_folder || '.digestgen-cache')
  return [cache, output]
}

async function onPreBuild ({ constants, inputs, utils }) {
  const kept = folders(constants, inputs)
  const restored = await utils.cache.restore(kept)
  console.log(restored
    ? `digestgen-cache: restored ${kept.join(', ')}`
    : 'digestgen-cache: nothing to restore (the first build, or the cache was cleared)')
}

async function onPostBuild ({ constants, inputs, utils }) {
  const context = process.env.CONTEXT || 'production'
  const contexts = inputs.save_contexts || ['production']
  if (!contexts.includes(context)) {
    console.log(`digestgen-cache: a ${context} build saves nothing`)
    return
  }
  const kept = folders(constants, inputs)
  const saved = await utils.cache.save(kept)
  console.log(saved
    ? `digestgen-cache: saved ${kept.join(', ')} for the next build`
    : `digestgen-cache: ${kept.join(', ')} not found; nothing saved`)
}

module.exports = { onPreBuild, onPostBuild }
